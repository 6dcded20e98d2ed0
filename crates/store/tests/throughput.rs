//! Quick insert-throughput figures for message metadata (not a benchmark: a debug build, shared
//! machine). Run with `--nocapture` to see them.

mod common;

use std::time::Instant;

use chrono::{TimeZone, Utc};
use common::{TestDb, each};
use ward_store::{Message, sha256_hex};

fn msg(i: usize) -> Message {
    Message {
        tenant_id: "contoso".into(),
        mailbox_id: format!("mb{}", i % 50),
        graph_id: format!("AAMkAD{i:08}"),
        internet_message_id: Some(format!("<{i}@mail.example>")),
        folder: "inbox".into(),
        sender: Some("news@example.com".into()),
        subject: Some(format!("Newsletter {i}")),
        received_at: Utc.timestamp_opt(1_780_000_000 + i as i64, 0).unwrap(),
        size_bytes: 10_000,
        mime_sha256: Some(sha256_hex(&i.to_le_bytes())),
        body: None,
    }
}

#[tokio::test]
async fn message_insert_throughput() {
    each(|db: TestDb| async move {
        let s = db.open().await;
        const BATCHES: usize = 10;
        const PER_TX: usize = 500;
        let t0 = Instant::now();
        for b in 0..BATCHES {
            let mut tx = s.transaction().await.unwrap();
            for i in 0..PER_TX {
                assert!(tx.insert_message(&msg(b * PER_TX + i)).await.unwrap());
            }
            tx.set_cursor("contoso", "messages", &b.to_string())
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let batched = (BATCHES * PER_TX) as f64 / t0.elapsed().as_secs_f64();

        // Replaying the same messages (what a resumed sync does) is a cheap no-op.
        let t0 = Instant::now();
        let mut tx = s.transaction().await.unwrap();
        for i in 0..PER_TX {
            assert!(!tx.insert_message(&msg(i)).await.unwrap());
        }
        tx.commit().await.unwrap();
        let replay = PER_TX as f64 / t0.elapsed().as_secs_f64();

        // Bulk: one statement per Graph-page-sized batch.
        let page: Vec<Message> = (0..BATCHES * PER_TX).map(|i| msg(2_000_000 + i)).collect();
        let t0 = Instant::now();
        for chunk in page.chunks(PER_TX) {
            let mut tx = s.transaction().await.unwrap();
            let new = tx.insert_messages(chunk).await.unwrap();
            assert!(new.iter().all(|&n| n));
            tx.commit().await.unwrap();
        }
        let bulk = page.len() as f64 / t0.elapsed().as_secs_f64();
        let again = s.insert_messages(&page[..PER_TX]).await.unwrap();
        assert!(again.iter().all(|&n| !n));

        const SINGLE: usize = 300;
        let t0 = Instant::now();
        for i in 0..SINGLE {
            assert!(s.insert_message(&msg(1_000_000 + i)).await.unwrap());
        }
        let single = SINGLE as f64 / t0.elapsed().as_secs_f64();
        assert_eq!(
            s.count_messages("contoso").await.unwrap(),
            (2 * BATCHES * PER_TX + SINGLE) as i64
        );
        println!(
            "THROUGHPUT {:?}: {batched:.0} msg/s in transactions of {PER_TX}; \
             {bulk:.0} msg/s with insert_messages (pages of {PER_TX}); \
             {replay:.0} msg/s replaying duplicates; {single:.0} msg/s one transaction each",
            db.backend
        );
        s.close().await;
        db
    })
    .await;
}
