//! Sync of a Microsoft 365 tenant into Ward's store: resumable, throttle-aware.
