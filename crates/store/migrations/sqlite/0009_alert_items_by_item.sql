-- v9: whether an item is already in an alert of a rule: asked whenever an item is stored again
-- (edited upstream, or its flags changed after a rule edit), so that a decided alert is not
-- raised a second time for the same item.
CREATE INDEX alert_items_item ON alert_items (item_id);
