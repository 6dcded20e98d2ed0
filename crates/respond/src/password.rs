//! Generated passwords and the secure channel they go to.
//!
//! A reset password must reach the user through the help desk, never through Ward's logs or
//! journal. The only channel built in is a directory of owner-only files; the journal records
//! that a file was written, not its content.

use std::io::Write;
use std::path::Path;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::config::PasswordChannel;

/// A password that does not print itself.
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGIT: &[u8] = b"23456789";
const SYMBOL: &[u8] = b"!#$%*+-=?@^_";

/// 20 characters from the OS-seeded CSPRNG with every class present (Entra's complexity rule
/// needs three of four), ambiguous characters left out for the help desk reading it out.
pub fn generate() -> Secret {
    let mut rng = rand::rng();
    let all: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL].concat();
    let mut out: Vec<u8> = [UPPER, LOWER, DIGIT, SYMBOL]
        .iter()
        .map(|set| set[rng.random_range(0..set.len())])
        .collect();
    while out.len() < 20 {
        out.push(all[rng.random_range(0..all.len())]);
    }
    out.shuffle(&mut rng);
    Secret(out.into_iter().map(char::from).collect())
}

#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error(
        "no password channel is configured: Ward will not set a password nobody can hand over. \
         Set [respond] password_channel = {{ kind = \"directory\", path = \"...\" }} in ward.toml"
    )]
    NotConfigured,
    #[error("cannot write the password file in {dir}: {source}")]
    Io {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// Delivers the password; returns where, in words fit for the journal (no secret).
pub fn deliver(
    channel: &PasswordChannel,
    upn: &str,
    action_id: &str,
    secret: &Secret,
) -> Result<String, ChannelError> {
    match channel {
        PasswordChannel::None => Err(ChannelError::NotConfigured),
        PasswordChannel::Directory { path } => {
            let io = |source| ChannelError::Io {
                dir: path.display().to_string(),
                source,
            };
            std::fs::create_dir_all(path).map_err(io)?;
            let name = file_name(upn, action_id);
            write_private(&path.join(&name), secret.expose()).map_err(io)?;
            Ok(format!("the password channel file {name}"))
        }
    }
}

/// The channel file of one reset: `<upn>.<action id>.password`, the UPN made path-safe.
fn file_name(upn: &str, action_id: &str) -> String {
    let safe: String = upn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '@' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.{action_id}.password")
}

/// Takes back a delivered password Microsoft refused, so nobody hands over a password that was
/// never set. Best effort: a file that cannot be removed is overwritten by the retry.
pub fn withdraw(channel: &PasswordChannel, upn: &str, action_id: &str) {
    if let PasswordChannel::Directory { path } = channel {
        let _ = std::fs::remove_file(path.join(file_name(upn, action_id)));
    }
}

/// Writes a file only its owner can read (0600 on Unix), replacing any earlier one.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(content.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_strong_and_distinct() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose(), b.expose());
        let p = a.expose();
        assert_eq!(p.len(), 20);
        assert!(p.bytes().any(|c| UPPER.contains(&c)));
        assert!(p.bytes().any(|c| LOWER.contains(&c)));
        assert!(p.bytes().any(|c| DIGIT.contains(&c)));
        assert!(p.bytes().any(|c| SYMBOL.contains(&c)));
        assert_eq!(format!("{a:?}"), "Secret(***)");
    }

    #[test]
    fn channel_writes_owner_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let ch = PasswordChannel::Directory {
            path: dir.path().join("pw"),
        };
        let s = generate();
        let where_ = deliver(&ch, "a.b@contoso.com", "pw-1", &s).unwrap();
        assert!(!where_.contains(s.expose()));
        let f = dir.path().join("pw/a.b@contoso.com.pw-1.password");
        assert_eq!(std::fs::read_to_string(&f).unwrap().trim(), s.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(matches!(
            deliver(&PasswordChannel::None, "x", "y", &s),
            Err(ChannelError::NotConfigured)
        ));
    }
}
