//! Sizes stay within the settings: rows and bytes per row group, bytes per
//! shard, and the writer's memory, however many rows go through it.

use std::fs::File;

use parquet::file::reader::{FileReader, SerializedFileReader};
use sink::{ChunkRecord, ShardSettings, ShardWriter};

use crate::fixtures::chunk;

/// A chunk with about 2 KB of text, like a real 512-token chunk.
fn big_chunk(index: usize) -> ChunkRecord {
    let mut record = chunk(index / 20, (index % 20) as u32, "bounds");
    record.text = format!("{index} ").repeat(2000 / (index.to_string().len() + 1));
    record.embed_text.clone_from(&record.text);
    record
}

#[test]
fn row_groups_shards_and_memory_stay_within_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ShardSettings {
        target_bytes: 256 << 10,
        row_group_max_rows: 300,
        row_group_max_bytes: 256 << 10,
        zstd_level: 3,
    };
    let mut writer =
        ShardWriter::<ChunkRecord>::new(dir.path(), "part", &settings, "bounds", &[]).unwrap();
    let rows = 6000;
    let mut peak = 0;
    for index in 0..rows {
        writer.push(big_chunk(index)).unwrap();
        peak = peak.max(writer.buffered_bytes());
    }
    assert_eq!(writer.rows(), rows as u64);
    let shards = writer.finish().unwrap();

    // ~15 MB of records went through; memory never held more than about
    // two row groups' worth (waiting records plus the encoded group).
    assert!(
        peak <= 2 * settings.row_group_max_bytes,
        "peak buffered bytes {peak}"
    );
    assert!(peak > 0);

    assert!(
        shards.len() >= 3,
        "expected rotation, got {} shards",
        shards.len()
    );
    assert_eq!(shards.iter().map(|s| s.rows).sum::<u64>(), rows as u64);
    let last = shards.len() - 1;
    for (number, shard) in shards.iter().enumerate() {
        assert!(
            shard.path.ends_with(format!("part-{number:05}.parquet")),
            "{:?}",
            shard.path
        );
        let reader = SerializedFileReader::new(File::open(&shard.path).unwrap()).unwrap();
        let metadata = reader.metadata();
        assert_eq!(metadata.file_metadata().num_rows() as u64, shard.rows);
        // A shard closes at the first row group that takes its data past the
        // target (the footer comes on top).
        let groups = metadata.row_groups();
        let data: u64 = groups.iter().map(|g| g.compressed_size() as u64).sum();
        let last_group = groups.last().unwrap().compressed_size() as u64;
        assert!(
            data - last_group < settings.target_bytes,
            "shard {number} went on past its target: {data} bytes"
        );
        if number < last {
            assert!(
                data >= settings.target_bytes,
                "shard {number} closed early at {data} bytes"
            );
        }
        for group in groups {
            assert!(
                group.num_rows() <= 300,
                "row group of {} rows",
                group.num_rows()
            );
            // Decoded size is bounded by the byte limit plus one record.
            let decoded = group
                .columns()
                .iter()
                .map(|c| c.uncompressed_size())
                .sum::<i64>();
            assert!(
                decoded as usize <= settings.row_group_max_bytes + (8 << 10),
                "row group of {decoded} bytes"
            );
        }
    }
}

#[test]
fn a_record_larger_than_a_row_group_is_written_alone() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ShardSettings {
        row_group_max_bytes: 16 << 10,
        ..ShardSettings::default()
    };
    let mut writer =
        ShardWriter::<ChunkRecord>::new(dir.path(), "part", &settings, "big", &[]).unwrap();
    let mut huge = chunk(0, 0, "big");
    huge.text = "x".repeat(100 << 10);
    writer.push(chunk(0, 1, "big")).unwrap();
    writer.push(huge.clone()).unwrap();
    writer.push(chunk(0, 2, "big")).unwrap();
    let shards = writer.finish().unwrap();
    let read: Vec<ChunkRecord> = sink::read_records(shards.iter().map(|s| s.path.clone()), 10)
        .flat_map(Result::unwrap)
        .collect();
    assert_eq!(read.len(), 3);
    assert_eq!(read[1], huge);
    let reader = SerializedFileReader::new(File::open(&shards[0].path).unwrap()).unwrap();
    assert!(reader.metadata().num_row_groups() >= 2);
}
