//! The pool against a minimal SMTP server that takes every mail and counts
//! its connections: many sends at once share at most the pool's size of
//! connections, and a connection the server dropped is replaced.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::channels::smtp::{SmtpConfig, SmtpMailer};
use crate::channels::{Mailer, SendError};

/// What the server saw.
#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    mails: AtomicUsize,
}

/// A server on 127.0.0.1 that takes every mail; `hang_up_after`: closes a
/// connection after that many mails on it (without a word, as a server
/// restarting would).
async fn server(hang_up_after: Option<usize>) -> (u16, Arc<Counts>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let counts = Arc::new(Counts::default());
    let seen = counts.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counts = seen.clone();
            counts.connections.fetch_add(1, SeqCst);
            tokio::spawn(async move { converse(socket, &counts, hang_up_after).await });
        }
    });
    (port, counts)
}

/// One connection: 250 to everything, 354 to `DATA`, a mail counted at its
/// closing `.` (before the reply, so a sender told 250 finds it counted).
async fn converse(socket: TcpStream, counts: &Counts, hang_up_after: Option<usize>) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 test ready\r\n").await?;
    let (mut data, mut taken) = (false, 0);
    while let Some(line) = lines.next_line().await? {
        let reply: &[u8] = if data {
            if line != "." {
                continue;
            }
            data = false;
            counts.mails.fetch_add(1, SeqCst);
            taken += 1;
            b"250 taken\r\n"
        } else {
            match line.get(..4).map(str::to_ascii_uppercase).as_deref() {
                Some("DATA") => {
                    data = true;
                    b"354 go on\r\n"
                }
                Some("QUIT") => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"250 ok\r\n",
            }
        };
        write.write_all(reply).await?;
        if hang_up_after.is_some_and(|n| taken >= n) {
            return Ok(());
        }
    }
    Ok(())
}

fn mailer(port: u16, pool_size: u32) -> SmtpMailer {
    let config = SmtpConfig { pool_size, ..SmtpConfig::new(format!("smtp://127.0.0.1:{port}")) };
    SmtpMailer::new(&config).expect("config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_sends_at_once_share_at_most_the_pool_size_of_connections() {
    let (port, counts) = server(None).await;
    let mailer = mailer(port, 3);
    let sample = crate::channels::email::tests::sample();
    let sent = futures::future::join_all((0..300).map(|_| mailer.send(&sample))).await;
    let failed: Vec<_> = sent.iter().filter(|s| s.is_err()).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(counts.mails.load(SeqCst), 300, "each mail taken");
    let opened = counts.connections.load(SeqCst);
    assert!((1..=3).contains(&opened), "{opened} connections opened for a pool of 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_server_closed_fails_one_send_and_is_replaced() {
    let (port, counts) = server(Some(1)).await;
    let mailer = mailer(port, 1);
    let sample = crate::channels::email::tests::sample();
    mailer.send(&sample).await.expect("first mail, on a new connection");
    // The server hung up after it: the parked connection is dead. A send on
    // it fails as transient (the dispatcher retries), and the next one opens
    // a new connection.
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        outcomes.push(mailer.send(&sample).await);
        if outcomes.last().is_some_and(Result::is_ok) {
            break;
        }
    }
    assert!(outcomes.last().is_some_and(Result::is_ok), "{outcomes:?}");
    assert!(outcomes.iter().all(|o| !matches!(o, Err(SendError::Permanent { .. }))), "{outcomes:?}");
    assert_eq!(counts.mails.load(SeqCst), 2);
    assert_eq!(counts.connections.load(SeqCst), 2, "the dead connection replaced by one new one");
}
