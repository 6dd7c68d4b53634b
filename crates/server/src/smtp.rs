//! Sending invitations by e-mail: a plain SMTP client for a relay the organization runs (on the
//! same machine or its network: Postfix, an Exchange connector, a mail gateway), which handles
//! TLS and authentication onwards. Each message carries one invitee's link; nothing else.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One message to send.
pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

fn reply(r: &mut impl BufRead, expect: u16, what: &str) -> Result<()> {
    // A reply may span lines `250-…` before the last `250 …`.
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            bail!("the SMTP server closed the connection after {what}");
        }
        let code: u16 = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if line.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        if code != expect {
            bail!("the SMTP server answered {what} with `{}`", line.trim_end());
        }
        return Ok(());
    }
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// Sends `messages` through the relay at `server` (HOST:PORT) from `from`, in one connection;
/// returns how many were accepted.
pub fn send(server: &str, from: &str, messages: &[Message]) -> Result<usize> {
    let stream = TcpStream::connect(server)
        .with_context(|| format!("connecting to the SMTP server {server}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut r = BufReader::new(stream.try_clone()?);
    let mut w = stream;
    reply(&mut r, 220, "the greeting")?;
    write!(w, "EHLO orgmirror\r\n")?;
    reply(&mut r, 250, "EHLO")?;
    let mut sent = 0;
    for m in messages {
        write!(w, "MAIL FROM:<{}>\r\n", clean(from))?;
        reply(&mut r, 250, "MAIL FROM")?;
        write!(w, "RCPT TO:<{}>\r\n", clean(&m.to))?;
        reply(&mut r, 250, &format!("RCPT TO {}", m.to))?;
        write!(w, "DATA\r\n")?;
        reply(&mut r, 354, "DATA")?;
        let id = crate::auth::token();
        write!(
            w,
            "From: <{}>\r\nTo: <{}>\r\nSubject: {}\r\nMessage-ID: <{}@orgmirror>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
            clean(from),
            clean(&m.to),
            clean(&m.subject),
            &id[..24]
        )?;
        for line in m.body.lines() {
            // Dot-stuffing: a line starting with `.` gets another.
            if line.starts_with('.') {
                w.write_all(b".")?;
            }
            write!(w, "{}\r\n", line.trim_end_matches('\r'))?;
        }
        write!(w, ".\r\n")?;
        reply(&mut r, 250, "the message")?;
        sent += 1;
    }
    write!(w, "QUIT\r\n")?;
    let _ = reply(&mut r, 221, "QUIT");
    Ok(sent)
}
