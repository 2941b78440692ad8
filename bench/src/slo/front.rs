//! One address in front of several tansu brokers, as a Kubernetes Service
//! is in front of tansu's stateless brokers: every broker advertises the
//! front, and each connection a client opens goes to the next broker that
//! accepts one. A killed broker's connections drop; the clients reconnect
//! (within `reconnect.backoff.max.ms`) and land on a live broker, which
//! serves the same partitions and groups from the shared PostgreSQL.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How long a broker may take to accept before the next one is tried.
const CONNECT_LIMIT: Duration = Duration::from_millis(500);

/// The front: listening until dropped.
pub struct Front {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Front {
    /// Listens on a free loopback port and forwards to `brokers` in turn.
    pub async fn start(brokers: Vec<SocketAddr>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let task = tokio::spawn(serve(listener, Arc::new(brokers)));
        Ok(Self { port, task })
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(listener: TcpListener, brokers: Arc<Vec<SocketAddr>>) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of file descriptors, say: let connections close first.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let (brokers, next) = (brokers.clone(), next.clone());
        tokio::spawn(async move {
            let first = next.fetch_add(1, Ordering::Relaxed);
            if let Some(broker) = first_accepting(&brokers, first).await {
                forward(client, broker).await;
            }
        });
    }
}

/// The first broker from `first` on (round the ring) that accepts.
async fn first_accepting(brokers: &[SocketAddr], first: usize) -> Option<TcpStream> {
    for i in 0..brokers.len() {
        let address = brokers[(first + i) % brokers.len()];
        if let Ok(Ok(stream)) = tokio::time::timeout(CONNECT_LIMIT, TcpStream::connect(address)).await {
            return Some(stream);
        }
    }
    None
}

/// Copies both ways until either side closes; Kafka's small requests go
/// out at once (no Nagle on either leg).
async fn forward(mut client: TcpStream, mut broker: TcpStream) {
    let _ = client.set_nodelay(true);
    let _ = broker.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
}
