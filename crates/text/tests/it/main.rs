//! Integration tests of duluan-text: table-driven pairs, encodings and properties. One binary, so
//! the suite links once. Fixtures are written here; see `README.md` beside this file.

mod dates;
mod encodings;
mod folding;
mod language;
mod normalization;
mod properties;
mod teencode;
