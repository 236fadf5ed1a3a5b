// Package store is SurgeMQ's durable storage engine: persistent sessions (client id,
// subscriptions, session expiry), their queued and in-flight messages in both directions
// (including the QoS 2 packet ids awaiting PUBREL, so exactly-once survives a restart),
// retained messages and pending wills survive restarts, kill -9 and power loss. Clean
// sessions never touch it. It uses the standard library only and no mmap (32-bit ARM).
//
// # Design
//
// An append-only log of checksummed records in segment files (00000001.log, 00000002.log,
// ...) in Options.Dir, an in-memory index of what is live, and background compaction.
// Mutations (PutMessage, Enqueue, ...) are cheap: under one mutex they update the index and
// append an encoded record to a buffer, so records are in the order of the calls. One writer
// goroutine writes the buffer with sequential appends (SD-card friendly: no page is ever
// rewritten in place) and fsyncs it. Message payloads are not kept in memory: the index holds
// each message's location (24 bytes) and Message reads it with ReadAt. For 100k queued
// messages the index takes a few MB.
//
// # Guarantee
//
// With FsyncAlways, every record appended before a Sync call is on disk when Sync returns;
// the broker calls Sync before it acknowledges a QoS 1/2 message (PUBACK, PUBREC), so an
// acknowledged message survives kill -9 and power loss. Throughput comes from group commit:
// concurrent Sync callers share one write and one fsync. With FsyncInterval, Sync returns at
// once and the writer writes and fsyncs every Options.FsyncInterval: a crash (kill -9 as well
// as power loss) loses the records of at most the last interval plus the time one write takes.
// Either way a crash at any moment corrupts nothing: Open drops a torn or damaged record,
// logs it, and opens. Open fails only for I/O errors, a locked directory (ErrLocked) or a
// newer format (ErrVersion). After a write or fsync error the store accepts nothing more
// (every call returns that error) because the kernel may have dropped the dirty pages: reopen
// it.
//
// # File format
//
// Every record is framed as
//
//	crc  uint32 LE  CRC-32C (Castagnoli) of len, type and body
//	len  uint32 LE  bytes of type and body (at most 512 MiB)
//	type uint8
//	body
//
// Strings (str) are a uvarint length and bytes, at most 65535; integers are little endian.
// Bodies:
//
//	1  header          "SMQS" | version u8 (1) | kind u8 (0 log, 1 snapshot) | next MsgID u64
//	2  message         id u64 | expiry i64 | flags u8 (qos | retain<<2) | topic str |
//	                   props (uvarint length, bytes) | payload (the rest)
//	3  session         client str | expiry u32 | n uvarint | n × (filter str | qos u8 | flags u8)
//	4  disconnected    client str | at i64
//	5  delete-session  client str
//	6  enqueue         client str | msg u64 | flags u8 (qos | retain<<2 | released<<3) | packet id u16
//	7  inflight        client str | msg u64 | packet id u16 | released u8
//	8  dequeue         client str | msg u64
//	9  add-inbound     client str | packet id u16
//	10 remove-inbound  client str | packet id u16
//	11 set-retained    topic str | msg u64
//	12 clear-retained  topic str
//	13 set-will        client str | present u8 | due i64 | message body as in 2 after the id
//
// Each segment starts with a header record. Its "next MsgID" (together with the highest id
// replayed) restores the id counter, so ids are never reused even after compaction dropped
// every message. A segment of kind snapshot holds the whole live state as of every segment
// numbered up to it.
//
// # Replay
//
// Open deletes leftover *.log.compact files, finds the newest snapshot segment and deletes
// every segment numbered below it (finishing a compaction that crashed before its clean-up),
// then applies the records of the remaining segments in order. A bad record (short, wrong
// length, checksum mismatch) at the end of the last segment is a torn write: the file is
// truncated there and the truncation logged. A bad record in an earlier segment drops the rest
// of that segment (logged with offset and byte count) and replay goes on with the next one;
// records that then no longer apply (an enqueue of a lost message) are skipped and counted. A
// record with a good checksum that does not decode is logged and skipped. Messages that no
// queue entry or retained topic references are dropped.
//
// # Compaction
//
// When the dead bytes (disk minus live) exceed both the live bytes and
// Options.CompactMinBytes, when an append would exceed Options.MaxBytes, or on Compact:
//
//  1. the writer rotates: appends go to a new segment N+1 from now on, and the index state as
//     of the end of segment N is copied (queues are copied; payloads are not in memory);
//  2. in the background, the live message records of segments ≤ N are copied byte for byte
//     (sequential reads) into N.log.compact, followed by the state records (one session record
//     per session, its enqueues with in-flight markers, inbound ids, will, and the retained
//     table); the file is fsynced;
//  3. it is renamed over N.log (atomic) and the directory fsynced: from this instant replay
//     starts at the snapshot N and deletes the older segments itself;
//  4. the index is pointed at the copied records (in short batches under the lock), the old
//     files are closed, the segments below N deleted and the directory fsynced.
//
// A crash before step 3 leaves the old segments intact and a .compact file that Open
// deletes; after it, a snapshot that supersedes the old segments. The broker is never paused:
// mutations, Sync and Message go on during a compaction (new records land in N+1). While it
// runs, the directory holds the old segments and the new one, so it can briefly take up to
// MaxBytes plus the live bytes.
//
// Messages referenced by nothing are garbage: a message goes when its last reference goes,
// and one put but never referenced is dropped by the second compaction after it was put.
package store
