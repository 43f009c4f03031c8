//! Real mail servers for the email tests, on loopback: Debian's Dovecot as the IMAP
//! server (started from a configuration of our own in a temporary directory), a small
//! SMTP server that keeps what it is sent (and can refuse for a while, as a provider in
//! an outage does), and a TCP relay that cuts a connection after so many bytes, as a
//! network that drops mid-fetch does.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub const USER: &str = "support@shop.example";
pub const PASSWORD: &str = "mailbox-password-1";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Dovecot IMAP server holding one mailbox, `USER`'s.
pub struct Dovecot {
    pub port: u16,
    dir: PathBuf,
    child: Child,
}

impl Dovecot {
    pub async fn start() -> Dovecot {
        let bin = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect(
                "Dovecot is not installed: `apt-get install -y dovecot-imapd` (scripts/test.sh does it)",
            );
        let dir = std::env::temp_dir().join(format!(
            "homeshore-dovecot-{}",
            uuid::Uuid::new_v4().simple()
        ));
        for d in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(dir.join(d)).unwrap();
        }
        let root = running_as_root();
        // Dovecot's own processes run as its users when started as root; the mail
        // belongs to `dovecot`, so its folders must be open to it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for d in ["", "mail", "home"] {
                std::fs::set_permissions(dir.join(d), std::fs::Permissions::from_mode(0o777))
                    .unwrap();
            }
        }
        let me = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let (login, internal, owner) = if root {
            (
                "dovenull".to_string(),
                "dovecot".to_string(),
                "dovecot".to_string(),
            )
        } else {
            (me.clone(), me.clone(), me)
        };
        let port = free_port();
        let d = dir.display();
        std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\nfirst_valid_uid = 0\n\
             mail_location = maildir:{d}/mail/%u\n\
             default_login_user = {login}\ndefault_internal_user = {internal}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={owner} gid={owner} home={d}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n  chroot =\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let mut child = Command::new(bin)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dovecot starts");
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Dovecot { port, dir, child };
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(dir.join("dovecot.log")).unwrap_or_default();
        panic!("dovecot did not listen on {port}: {log}");
    }

    async fn session(&self) -> async_imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap().unwrap();
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    /// A mail arrives in the inbox (as delivery would put it there).
    pub async fn deliver(&self, raw: &str) {
        let mut s = self.session().await;
        s.append(
            "INBOX",
            None,
            None,
            raw.replace('\n', "\r\n").replace("\r\r\n", "\r\n"),
        )
        .await
        .unwrap();
        s.logout().await.unwrap();
    }

    /// The server renumbers the inbox (a new UIDVALIDITY), as after a restore or a move
    /// to another server: its UID list is thrown away.
    pub async fn renumber(&self) {
        let inbox = self.dir.join("mail").join(USER);
        let _ = std::fs::remove_file(inbox.join("dovecot-uidlist"));
        for f in std::fs::read_dir(&inbox).unwrap().flatten() {
            if f.file_name().to_string_lossy().starts_with("dovecot.index") {
                let _ = std::fs::remove_file(f.path());
            }
        }
    }
}

fn running_as_root() -> bool {
    // Whoever owns a file we just made is who we run as.
    let p = std::env::temp_dir().join(format!(
        "homeshore-whoami-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&p, b"").unwrap();
    #[cfg(unix)]
    let root = {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(&p).unwrap().uid() == 0
    };
    #[cfg(not(unix))]
    let root = false;
    let _ = std::fs::remove_file(&p);
    root
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An SMTP server that keeps every mail it accepts.
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<String>>>,
    /// While set, every mail is refused with 451 (a temporary failure).
    pub down: Arc<AtomicBool>,
    pub refused: Arc<AtomicUsize>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink {
            port: listener.local_addr().unwrap().port(),
            ..SmtpSink::default()
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.serve(conn).await;
                });
            }
        });
        sink
    }

    async fn serve(&self, conn: TcpStream) -> std::io::Result<()> {
        let (r, mut w) = conn.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 sink.test ESMTP\r\n").await?;
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => {
                    w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                        .await?
                }
                "HELO" => w.write_all(b"250 sink.test\r\n").await?,
                "MAIL" if self.down.load(Ordering::SeqCst) => {
                    self.refused.fetch_add(1, Ordering::SeqCst);
                    w.write_all(b"451 4.3.0 try again later\r\n").await?
                }
                "MAIL" | "RCPT" | "RSET" | "NOOP" => w.write_all(b"250 OK\r\n").await?,
                "DATA" => {
                    w.write_all(b"354 go ahead\r\n").await?;
                    let mut mail = String::new();
                    loop {
                        let mut l = String::new();
                        if r.read_line(&mut l).await? == 0 {
                            return Ok(());
                        }
                        if l == ".\r\n" {
                            break;
                        }
                        mail.push_str(
                            l.strip_prefix('.')
                                .filter(|_| l.starts_with(".."))
                                .unwrap_or(&l),
                        );
                    }
                    self.mails.lock().unwrap().push(mail);
                    w.write_all(b"250 OK queued\r\n").await?
                }
                "QUIT" => {
                    w.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => w.write_all(b"502 not here\r\n").await?,
            }
        }
    }

    pub fn mails(&self) -> Vec<String> {
        self.mails.lock().unwrap().clone()
    }
}

/// A relay to `to` that cuts its next connection once the server has sent `cut_after`
/// bytes through it (0: never).
#[derive(Clone)]
pub struct CutProxy {
    pub port: u16,
    pub cut_after: Arc<AtomicUsize>,
    pub cuts: Arc<AtomicUsize>,
}

impl CutProxy {
    pub async fn start(to: u16) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let p = CutProxy {
            port: listener.local_addr().unwrap().port(),
            cut_after: Arc::default(),
            cuts: Arc::default(),
        };
        let pp = p.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let limit = pp.cut_after.swap(0, Ordering::SeqCst);
                let cuts = pp.cuts.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(("127.0.0.1", to)).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
                    let mut sent = 0usize;
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let n = match sr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let n = if limit > 0 && sent + n >= limit {
                            let _ = cw.write_all(&buf[..limit - sent]).await;
                            cuts.fetch_add(1, Ordering::SeqCst);
                            break;
                        } else {
                            n
                        };
                        if cw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        sent += n;
                    }
                    up.abort();
                });
            }
        });
        p
    }
}
