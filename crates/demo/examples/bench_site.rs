//! Serve the generated benchmark site: `bench_site PAGES PORT`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let pages = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("http://{}/ {pages} pages", listener.local_addr()?);
    axum::serve(listener, duluan_demo::bench_site(pages)).await
}
