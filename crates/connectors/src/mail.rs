//! Mail archives: Maildir (with Maildir++ and nested folders) and mbox.
