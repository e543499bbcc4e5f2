#include "core/batch_codec.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include "batch_codec_v1.h"
#include "core/record_json.h"
#include "core/record_limits.h"

namespace loupe {
namespace {

// A body written by hand, byte by byte (lengths below 128 are one byte).
struct Raw {
  Raw& bytes(std::initializer_list<uint8_t> bs) {
    for (uint8_t b : bs) out += static_cast<char>(b);
    return *this;
  }
  Raw& str(std::string_view s) {
    out += static_cast<char>(s.size());
    out += s;
    return *this;
  }
  std::string out;
};

// A record with every field set to something distinct, text fields included
// (each holds its own JSON key, so a field decoded into another shows).
Record full_record(int i) {
  Record r;
  r.start_ns = 1'700'000'000'000'000'000ULL + static_cast<uint64_t>(i);
  r.end_ns = r.start_ns + 12'345;
  r.protocol = Protocol::Postgres;
  r.role = Role::Client;
  r.tls = true;
  r.error = true;
  r.pid = 4'000'000'000u;
  r.tid = 77;
  r.status = -i;
  r.req_bytes = UINT64_MAX;
  r.resp_bytes = 0;
  for (const TextField& f : record_text_fields())
    set_text(r, f, std::string(f.name) + "-" + std::to_string(i));
  r.detail = std::string("bytes \0\xff\x80 any", 14);  // not text: kept byte for byte
  return r;
}

// Every field but detail's raw bytes, which JSON escapes (compared apart).
std::string json_of(const Record& r) {
  std::string out;
  append_record_json(out, r);
  return out;
}

std::string zstd(std::string_view raw) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), 1));
  return out;
}

TEST(BatchCodec, RoundTripsEveryFieldAndTheBatchKey) {
  std::vector<Record> records;
  for (int i = 0; i < 50; ++i) records.push_back(full_record(i));
  records.push_back(Record{});  // all defaults
  std::string body = encode_batch({"0123abcd", 42}, records);
  BatchDecodeError error;
  auto batch = decode_batch(body, &error);
  ASSERT_TRUE(batch) << error.why;
  EXPECT_EQ(batch->key.agent, "0123abcd");
  EXPECT_EQ(batch->key.seq, 42u);
  ASSERT_EQ(batch->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(json_of(batch->records[i]), json_of(records[i])) << "record " << i;
    EXPECT_EQ(batch->records[i].detail, records[i].detail);
  }
}

TEST(BatchCodec, AnEncoderReusedForPartsWritesWhatEncodeBatchWrites) {
  // Parts of one batch, a record longer than the encoder's first guess
  // (its buffer grows), and the same encoder used again.
  std::vector<Record> first, second;
  for (int i = 0; i < 30; ++i) first.push_back(full_record(i));
  for (int i = 30; i < 40; ++i) second.push_back(full_record(i));
  second[3].detail.assign(200'000, 'x');
  std::vector<Record> all = first;
  all.insert(all.end(), second.begin(), second.end());
  BatchEncoder encoder;
  EncodedRecords parts[2];
  for (int round = 0; round < 2; ++round) {
    // The parts emptied and filled again keep their buffers: the second
    // round writes over the first one's bytes.
    for (EncodedRecords& part : parts) part.clear();
    parts[0].append(std::span(first).first(10));
    parts[0].append(std::span(first).subspan(10));
    parts[1].append(second);
    EXPECT_EQ(parts[0].count(), 30u);
    EXPECT_EQ(parts[1].count(), 10u);
    std::string body = encoder.encode({"0123abcd", 7}, parts);
    EXPECT_EQ(body, encode_batch({"0123abcd", 7}, all)) << "round " << round;
    auto batch = decode_batch(body);
    ASSERT_TRUE(batch);
    ASSERT_EQ(batch->records.size(), all.size());
    for (size_t i = 0; i < all.size(); ++i)
      EXPECT_EQ(json_of(batch->records[i]), json_of(all[i])) << i;
  }
}

TEST(BatchCodec, AnEncoderReusedForNotedRecordsWritesEachBodyWhole) {
  // A large body, then a smaller one in the same (kept, larger) buffers:
  // the second must hold its own records and notes, nothing of the first.
  std::vector<Record> big, small;
  for (int i = 0; i < 40; ++i) big.push_back(full_record(i));
  big[5].detail.assign(200'000, 'x');
  for (int i = 40; i < 43; ++i) small.push_back(full_record(i));
  auto pointers = [](const std::vector<Record>& records) {
    std::vector<const Record*> out;
    for (const Record& r : records) out.push_back(&r);
    return out;
  };
  auto notes_of = [](const std::vector<Record>& records) {
    std::vector<std::string_view> out;
    for (const Record& r : records) {
      out.push_back(r.route);
      out.push_back(r.pod());
    }
    return out;
  };
  std::vector<const Record*> big_ptrs = pointers(big), small_ptrs = pointers(small);
  std::vector<std::string_view> big_notes = notes_of(big), small_notes = notes_of(small);
  BatchEncoder encoder;
  EXPECT_EQ(encoder.encode_noted(big_ptrs, big_notes, 2),
            encode_noted_records(big_ptrs, big_notes, 2));
  std::string body(encoder.encode_noted(small_ptrs, small_notes, 2));
  EXPECT_EQ(body, encode_noted_records(small_ptrs, small_notes, 2));
  // Decoded afresh, and into the storage of the big body decoded: the
  // same three records and notes, nothing of the big one's.
  auto big_decoded = decode_noted_records(encode_noted_records(big_ptrs, big_notes, 2));
  ASSERT_TRUE(big_decoded);
  for (auto decoded : {decode_noted_records(body),
                       decode_noted_records(body, nullptr, {}, std::move(*big_decoded))}) {
    ASSERT_TRUE(decoded);
    ASSERT_EQ(decoded->records.size(), 3u);
    ASSERT_EQ(decoded->notes.size(), 6u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(json_of(decoded->records[i]), json_of(small[i]));
      EXPECT_EQ(decoded->notes[2 * i], small[i].route);
      EXPECT_EQ(decoded->notes[2 * i + 1], small[i].pod());
    }
  }
}

TEST(BatchCodec, RecordsWithoutANodeAreEncodedWithTheDefaultOne) {
  std::vector<Record> records(2);
  edit(records[1].local_identity).node = "own-node";
  EncodedRecords part;
  part.append(records, "agent-node");
  BatchEncoder encoder;
  auto batch = decode_batch(encoder.encode({"a", 1}, std::span(&part, 1)));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 2u);
  EXPECT_EQ(batch->records[0].node(), "agent-node");
  EXPECT_EQ(batch->records[1].node(), "own-node");
}

TEST(BatchCodec, AnEmptyBatchRoundTrips) {
  auto batch = decode_batch(encode_batch({"a", 1}, {}));
  ASSERT_TRUE(batch);
  EXPECT_TRUE(batch->records.empty());
}

TEST(BatchCodec, IsSmallerThanTheRecordsInMemoryByFar) {
  std::vector<Record> records;
  for (int i = 0; i < 1000; ++i) {
    Record r;
    r.protocol = Protocol::Redis;
    r.comm = "redis-server";
    r.local_addr = "127.0.0.1:6379";
    r.remote_addr = "127.0.0.1:" + std::to_string(40000 + i % 50);
    r.method = "SET";
    r.path = "key:__rand_int__";
    r.start_ns = 1'700'000'000'000'000'000ULL + 1000ULL * i;
    r.end_ns = r.start_ns + 3000;
    records.push_back(r);
  }
  EXPECT_LT(encode_batch({"a", 1}, records).size(), 40u * records.size());
}

TEST(BatchCodec, EveryTruncationIsRefused) {
  std::vector<Record> records{full_record(1), full_record(2)};
  std::string body = encode_batch({"agent", 7}, records);
  for (size_t n = 0; n < body.size(); ++n)
    EXPECT_FALSE(decode_batch(std::string_view(body).substr(0, n))) << n << " bytes";
}

// Decoding reuses one zstd context a thread: a frame that fails half-way
// must not leave it unable to decode the next.
TEST(BatchCodec, AFrameThatFailsHalfWayLeavesTheNextOneDecodable) {
  std::vector<Record> records(50, full_record(3));
  std::string body = encode_batch({"agent", 7}, records);
  std::string damaged = body;
  for (size_t i = damaged.size() / 2; i < damaged.size(); ++i)
    damaged[i] = static_cast<char>(~damaged[i]);
  EXPECT_FALSE(decode_batch(damaged));
  EXPECT_FALSE(decode_batch(std::string_view(body).substr(0, body.size() - 3)));
  auto batch = decode_batch(body);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 50u);
  EXPECT_EQ(json_of(batch->records[49]), json_of(full_record(3)));
}

TEST(BatchCodec, GarbageAndOtherFormatsAreRefusedWithAReason) {
  BatchDecodeError error;
  EXPECT_FALSE(decode_batch("", &error));
  EXPECT_FALSE(error.why.empty());
  EXPECT_FALSE(decode_batch("{\"batch\":{}}", &error));  // JSON is not this codec
  // A valid frame whose content is not a batch: wrong version, then a record
  // count larger than the bytes that follow could hold.
  EXPECT_FALSE(decode_batch(zstd("\x07whatever"), &error));
  EXPECT_EQ(error.why, "unknown batch codec version");
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::UnknownVersion);
  Raw bad_count;
  bad_count.bytes({1}).str("a").bytes({1, 0, 0xff, 0xff, 0xff, 0x7f});  // 268M records
  EXPECT_FALSE(decode_batch(zstd(bad_count.out), &error));
  EXPECT_EQ(error.why, "bad record count");
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::Damaged);
}

TEST(BatchCodec, AFrameClaimingAHugeSizeIsRefusedBeforeAllocating) {
  std::string big(kMaxDecodedBatchBytes + 1, '\0');
  std::string frame(ZSTD_compressBound(big.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), big.data(), big.size(), 1));
  BatchDecodeError error;
  EXPECT_FALSE(decode_batch(frame, &error));
  EXPECT_EQ(error.why, "decoded size past the bound");
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::TooLarge);
}

TEST(BatchCodec, CallersBoundTheDecodedSizeAndTheRecordCount) {
  std::vector<Record> records(100, full_record(1));
  std::string body = encode_batch({"agent", 7}, records);
  BatchDecodeError error;
  EXPECT_TRUE(decode_batch(body, &error, {.max_records = 100}));
  EXPECT_FALSE(decode_batch(body, &error, {.max_records = 99}));
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::TooManyRecords);
  EXPECT_FALSE(decode_batch(body, &error, {.max_decoded_bytes = 1000}));
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::TooLarge);
}

TEST(BatchCodec, DecodesIntoTheVectorItIsGiven) {
  std::vector<Record> spare(5, full_record(9));
  spare.reserve(1000);
  const Record* memory = spare.data();
  auto batch = decode_batch(encode_batch({"a", 1}, std::vector<Record>(3, full_record(2))), nullptr,
                            {}, std::move(spare));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 3u);
  EXPECT_EQ(batch->records.data(), memory);  // no new allocation
  EXPECT_EQ(json_of(batch->records[2]), json_of(full_record(2)));
}

TEST(BatchCodec, FieldsItDoesNotKnowAreSkippedAndMissingOnesStayEmpty) {
  // As a later agent might write: "path", then a field this build lacks.
  Raw raw;
  raw.bytes({1}).str("a").bytes({5});                   // version, agent "a", seq 5
  raw.bytes({2}).str("path").str("future");             // two text fields
  raw.bytes({1});                                       // one record:
  raw.bytes({1, 2}).str("redis").str("server");         // times, protocol, role,
  raw.bytes({0, 9, 0, 0, 1, 2}).str("GET").str("new");  // flags, pid, tid, status,
                                                        // bytes, path, future
  BatchDecodeError error;
  auto batch = decode_batch(zstd(raw.out), &error);
  ASSERT_TRUE(batch) << error.why;
  EXPECT_EQ(batch->key.seq, 5u);
  ASSERT_EQ(batch->records.size(), 1u);
  const Record& r = batch->records[0];
  EXPECT_EQ(r.path, "GET");
  EXPECT_EQ(r.protocol, Protocol::Redis);
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.pid, 9u);
  EXPECT_EQ(r.resp_bytes, 2u);
  EXPECT_EQ(r.method, "");
}

// What an HTTP/1 exchange looks like from `loupe agent`: most of the 21
// text fields empty.
Record http_record(int i) {
  Record r;
  r.start_ns = 1'800'000'000'000'000'000ULL + static_cast<uint64_t>(i);
  r.end_ns = r.start_ns + 45'000;
  r.protocol = Protocol::Http1;
  r.role = Role::Server;
  r.pid = 4242;
  r.tid = 4242;
  r.status = 200;
  r.req_bytes = 40;
  r.resp_bytes = 160;
  r.comm = "nginx";
  r.local_addr = "127.0.0.1:8080";
  r.remote_addr = "127.0.0.1:40000";
  r.method = "GET";
  r.path = "/a";
  r.route = "/a";
  r.host = "127.0.0.1:8080";
  edit(r.local_identity).node = "node-a";
  return r;
}

TEST(BatchCodec, AVersionOneBodyStillDecodes) {
  // As agents wrote before version 3, and as an upgraded agent's spool may
  // still hold.
  std::vector<Record> records{full_record(1), http_record(2), full_record(3), Record{}};
  records[3].end_ns = 5;  // ends before it starts: kept as it was
  BatchDecodeError error;
  auto batch = decode_batch(test::encode_batch_v1({"old-agent", 41}, records), &error);
  ASSERT_TRUE(batch) << error.why;
  EXPECT_EQ(batch->key.agent, "old-agent");
  EXPECT_EQ(batch->key.seq, 41u);
  ASSERT_EQ(batch->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(json_of(batch->records[i]), json_of(records[i])) << i;
    EXPECT_EQ(batch->records[i].detail, records[i].detail) << i;
  }
}

TEST(BatchCodec, NotedRecordsRepeatingTheirFieldsInAnyOrderRoundTrip) {
  // Version 4 writes a value once and then refers to a field's last two
  // values: values alternating, cycling through three, coming back after
  // an empty one, and notes doing the same, all come back as they were.
  std::vector<Record> records;
  std::vector<std::string> notes;
  const char* three[] = {"a", "bb", "ccc"};
  for (int i = 0; i < 30; ++i) {
    Record r = http_record(i);
    r.comm = i % 2 ? "wrk" : "nginx";                                           // two, alternating
    r.local_addr = three[i % 3];                                                // three, cycling
    r.host = i % 4 == 1 ? "" : "h" + std::to_string(i / 4);                     // runs, with gaps
    edit(r.local_identity).pod = i % 5 == 0 ? "pod-" + std::to_string(i) : "";  // rare, each new
    r.detail = std::string("x\0y", 3);  // bytes kept as they are
    records.push_back(std::move(r));
    notes.push_back(i % 2 ? "/a" : "/b");
    notes.push_back(i % 7 ? "" : "c");
  }
  std::vector<const Record*> ptrs;
  for (const Record& r : records) ptrs.push_back(&r);
  std::vector<std::string_view> views(notes.begin(), notes.end());
  auto decoded = decode_noted_records(encode_noted_records(ptrs, views, 2));
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->records.size(), records.size());
  ASSERT_EQ(decoded->notes.size(), notes.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(json_of(decoded->records[i]), json_of(records[i])) << i;
    EXPECT_EQ(decoded->records[i].detail, records[i].detail) << i;
  }
  for (size_t i = 0; i < notes.size(); ++i) EXPECT_EQ(decoded->notes[i], notes[i]) << i;
}

// Records said to be of one connection (the store passes the resolver's
// connection answers) have their connection's fields coded without being
// compared: the body is byte for byte the one coded by comparing, with
// connections taking turns in any order, values shared between
// connections, empty ones, and records whose connection is not known.
TEST(BatchCodec, NotedRecordsOfKnownConnectionsGiveTheSameBody) {
  struct Connection {
    std::string comm, local, remote, host, namespace_, workload;
  };
  std::vector<Connection> connections = {
      {"nginx", "10.0.0.1:80", "10.0.0.2:4000", "api", "shop", "Deployment/api"},
      {"wrk", "10.0.0.2:4000", "10.0.0.1:80", "api", "shop", "Deployment/web"},
      {"nginx", "10.0.0.1:80", "10.0.0.3:4001", "", "shop", "Deployment/api"},
      {"curl", "10.0.0.3:4001", "10.0.0.1:80", "api", "", ""},
      {"wrk", "10.0.0.2:4002", "10.0.0.1:80", "api.example", "shop", "Deployment/web"},
  };
  std::vector<Record> records;
  std::vector<uint32_t> ids;
  std::vector<std::string> notes;
  uint64_t x = 7;
  for (int i = 0; i < 400; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    size_t c = (x >> 33) % (i < 200 ? 2 : connections.size());  // two taking turns, then all
    const Connection& conn = connections[c];
    Record r = http_record(i);
    r.comm = conn.comm;
    r.local_addr = conn.local;
    r.remote_addr = conn.remote;
    r.host = conn.host;
    PodIdentity pod;
    pod.namespace_ = conn.namespace_;
    pod.workload = conn.workload;
    pod.pod = (x >> 40) % 3 ? "api-1" : "api-2";  // not a connection's field
    r.local_identity = intern(pod);
    records.push_back(std::move(r));
    // Unknown for some records; a connection seen again under a new id
    // (the resolver forgot its answer) for others.
    ids.push_back((x >> 50) % 7 == 0 ? 0 : static_cast<uint32_t>(c + 1 + (i >= 300 ? 10 : 0)));
    notes.push_back(i % 3 ? "/a" : "/b");
  }
  std::vector<const Record*> ptrs;
  for (const Record& r : records) ptrs.push_back(&r);
  std::vector<std::string_view> views(notes.begin(), notes.end());
  BatchEncoder encoder;
  std::string compared(encoder.encode_noted(ptrs, views, 1));
  EXPECT_EQ(encoder.encode_noted(ptrs, views, 1, ids), compared);
  // The next call's numbers name other connections (a store's next batch).
  std::vector<uint32_t> renumbered;
  for (uint32_t id : ids) renumbered.push_back(id == 0 ? 0 : (id + 2) % 15 + 1);
  EXPECT_EQ(encoder.encode_noted(ptrs, views, 1, renumbered), compared);
  std::vector<const Record*> half(ptrs.begin() + 100, ptrs.end());
  std::vector<std::string_view> half_notes(views.begin() + 100, views.end());
  std::vector<uint32_t> half_ids(ids.begin() + 100, ids.end());
  std::string with_ids(encoder.encode_noted(half, half_notes, 1, half_ids));
  EXPECT_EQ(with_ids, encoder.encode_noted(half, half_notes, 1))
      << "a body starts from no recent value, whatever the connections' last one held";
  auto decoded = decode_noted_records(compared);
  ASSERT_TRUE(decoded);
  for (size_t i = 0; i < records.size(); ++i)
    EXPECT_EQ(json_of(decoded->records[i]), json_of(records[i])) << i;
}

TEST(BatchCodec, AVersionTwoNotedBodyStillDecodes) {
  // As the embedded store wrote its chunks before version 4.
  std::vector<Record> records{full_record(1), http_record(2), full_record(3), Record{}};
  std::vector<std::string_view> notes{"r1", "c1", "", "c2", "r3", "", "", ""};
  BatchDecodeError error;
  auto decoded = decode_noted_records(test::encode_noted_v2(records, notes, 2), &error);
  ASSERT_TRUE(decoded) << error.why;
  ASSERT_EQ(decoded->records.size(), records.size());
  ASSERT_EQ(decoded->notes_per_record, 2u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(json_of(decoded->records[i]), json_of(records[i])) << i;
    EXPECT_EQ(decoded->records[i].detail, records[i].detail) << i;
  }
  for (size_t i = 0; i < notes.size(); ++i) EXPECT_EQ(decoded->notes[i], notes[i]) << i;
}

TEST(BatchCodec, ANotedRecordReferringToAValueNeverWrittenIsRefused) {
  // Version 4, one text field and no notes: the record's field says "the
  // same as the last value" before any was written.
  Raw raw;
  raw.bytes({4, 1}).str("comm").bytes({0, 1});  // fields, notes per record, one record
  raw.bytes({1, 0, 1, 2, 0, 0, 0, 0, 0, 0});    // start, duration, protocol, role, numbers
  std::string good = raw.out;
  raw.bytes({1});  // code 1: the last value, none yet
  BatchDecodeError error;
  EXPECT_FALSE(decode_noted_records(zstd(raw.out), &error));
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::Damaged);
  Raw written;
  written.out = good;
  written.bytes({3}).str("nginx");  // code 3: a value, written
  auto decoded = decode_noted_records(zstd(written.out), &error);
  ASSERT_TRUE(decoded) << error.why;
  EXPECT_EQ(decoded->records.at(0).comm, "nginx");
}

TEST(BatchCodec, AVersionFourNotedBodyStillDecodes) {
  // As the embedded store wrote its chunks before version 5: every start
  // written whole, not as its distance from the last one's (read so, the
  // second record would start at 1000 + 750).
  Raw raw;
  raw.bytes({4, 1}).str("comm").bytes({0, 2});         // fields, notes per record, two records
  raw.bytes({0xe8, 0x07, 0, 1, 2, 0, 0, 0, 0, 0, 0});  // start 1000, duration 0, ...
  raw.bytes({3}).str("nginx");
  raw.bytes({0xdc, 0x0b, 0, 1, 2, 0, 0, 0, 0, 0, 0});  // start 1500
  raw.bytes({1});                                      // the last comm
  BatchDecodeError error;
  auto decoded = decode_noted_records(zstd(raw.out), &error);
  ASSERT_TRUE(decoded) << error.why;
  ASSERT_EQ(decoded->records.size(), 2u);
  EXPECT_EQ(decoded->records[0].start_ns, 1000u);
  EXPECT_EQ(decoded->records[1].start_ns, 1500u);
  EXPECT_EQ(decoded->records[1].comm, "nginx");
  // Version 5 and later write the second start as its distance: 500,
  // zigzagged (1000: the bytes of the first start above), the body's last
  // record.
  std::vector<Record> records(2);
  records[0].start_ns = records[0].end_ns = 1000;
  records[1].start_ns = records[1].end_ns = 1500;
  std::vector<const Record*> ptrs{&records[0], &records[1]};
  std::string body = encode_noted_records(ptrs, {}, 0);
  std::string plain(ZSTD_getFrameContentSize(body.data(), body.size()), '\0');
  ASSERT_EQ(ZSTD_decompress(plain.data(), plain.size(), body.data(), body.size()), plain.size());
  EXPECT_EQ(plain[0], 6);
  // Its start, then a zero byte for the duration, protocol, role, flags
  // and each number, and the codes (every field empty).
  const std::string last =
      "\xe8\x07" + std::string(9 + (record_text_fields().size() + 3) / 4, '\0');
  ASSERT_GT(plain.size(), last.size());
  EXPECT_EQ(plain.substr(plain.size() - last.size()), last);
  auto back = decode_noted_records(body, &error);
  ASSERT_TRUE(back) << error.why;
  EXPECT_EQ(back->records.at(0).start_ns, 1000u);
  EXPECT_EQ(back->records.at(1).start_ns, 1500u);
}

TEST(BatchCodec, AVersionFiveNotedBodyStillDecodes) {
  // As the embedded store wrote its chunks before version 6: code 2 is
  // the field's value before the last, and the two swap places.
  Raw raw;
  raw.bytes({5, 1}).str("comm").bytes({0, 4});  // fields, notes per record, four records
  const std::initializer_list<uint8_t> head{0, 0, 1, 2, 0, 0, 0, 0, 0, 0};
  raw.bytes(head).bytes({3}).str("nginx");
  raw.bytes(head).bytes({3}).str("wrk");
  raw.bytes(head).bytes({2});  // the one before: nginx
  raw.bytes(head).bytes({2});  // and again the one before: wrk
  BatchDecodeError error;
  auto decoded = decode_noted_records(zstd(raw.out), &error);
  ASSERT_TRUE(decoded) << error.why;
  ASSERT_EQ(decoded->records.size(), 4u);
  EXPECT_EQ(decoded->records[0].comm, "nginx");
  EXPECT_EQ(decoded->records[1].comm, "wrk");
  EXPECT_EQ(decoded->records[2].comm, "nginx");
  EXPECT_EQ(decoded->records[3].comm, "wrk");
}

// Version 6: a value is written once a body, and referred to by its index
// after that, however many other values came between (connections taking
// turns: each one's address was written again with every record of it).
TEST(BatchCodec, ANotedBodyWritesEachValueOnce) {
  std::vector<Record> records;
  std::vector<uint32_t> connections;
  std::vector<std::string> notes;
  for (int i = 0; i < 300; ++i) {
    Record r = http_record(i);
    r.local_addr = "10.0.0.2:" + std::to_string(40000 + i % 30);
    r.route = "/items/" + std::to_string(i % 8);
    records.push_back(std::move(r));
    connections.push_back(static_cast<uint32_t>(i % 30 + 1));
    notes.push_back(i % 2 ? "caller-a" : "caller-b");
  }
  std::vector<const Record*> ptrs;
  for (const Record& r : records) ptrs.push_back(&r);
  std::vector<std::string_view> views(notes.begin(), notes.end());
  BatchEncoder encoder;
  std::string body(encoder.encode_noted(ptrs, views, 1, connections));
  EXPECT_EQ(body, encoder.encode_noted(ptrs, views, 1)) << "the same without connections";
  std::string plain(ZSTD_getFrameContentSize(body.data(), body.size()), '\0');
  ASSERT_EQ(ZSTD_decompress(plain.data(), plain.size(), body.data(), body.size()), plain.size());
  EXPECT_EQ(plain[0], 6);
  auto count = [&plain](std::string_view s) {
    size_t n = 0;
    for (size_t at = plain.find(s); at != std::string::npos; at = plain.find(s, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("10.0.0.2:40007"), 1u);
  EXPECT_EQ(count("/items/5"), 1u);
  EXPECT_EQ(count("caller-a"), 1u);
  auto decoded = decode_noted_records(body);
  ASSERT_TRUE(decoded);
  ASSERT_EQ(decoded->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(json_of(decoded->records[i]), json_of(records[i])) << i;
    EXPECT_EQ(decoded->notes[i], notes[i]) << i;
  }
}

TEST(BatchCodec, ANotedIndexPastTheValuesWrittenIsRefused) {
  Raw raw;
  raw.bytes({6, 1}).str("comm").bytes({0, 2});  // fields, notes per record, two records
  const std::initializer_list<uint8_t> head{0, 0, 1, 2, 0, 0, 0, 0, 0, 0};
  raw.bytes(head).bytes({3, 10}).out += "nginx";  // x = 2 * 5: a new value of 5 bytes
  std::string good = raw.out;
  raw.bytes(head).bytes({3, 3});  // x = 2 * 1 + 1: index 1, only index 0 was written
  BatchDecodeError error;
  EXPECT_FALSE(decode_noted_records(zstd(raw.out), &error));
  EXPECT_EQ(error.kind, BatchDecodeError::Kind::Damaged);
  Raw indexed;
  indexed.out = good;
  indexed.bytes(head).bytes({3, 1});  // index 0
  auto decoded = decode_noted_records(zstd(indexed.out), &error);
  ASSERT_TRUE(decoded) << error.why;
  EXPECT_EQ(decoded->records.at(0).comm, "nginx");
  EXPECT_EQ(decoded->records.at(1).comm, "nginx");
}

TEST(BatchCodec, OddTimesAndEveryProtocolAndRoleRoundTrip) {
  // The end is written as its distance from the start: any pair of times
  // comes back exactly, an end before the start and the extremes included.
  std::vector<Record> records;
  for (const auto& [protocol, name] : protocol_ids::kNames) {
    for (Role role : {Role::Unknown, Role::Client, Role::Server}) {
      Record r = http_record(static_cast<int>(records.size()));
      r.protocol = protocol;
      r.role = role;
      records.push_back(r);
    }
  }
  records[0].end_ns = records[0].start_ns - 1;
  records[1].start_ns = UINT64_MAX;
  records[1].end_ns = 0;
  records[2].start_ns = 0;
  records[2].end_ns = UINT64_MAX;
  auto batch = decode_batch(encode_batch({"a", 1}, records));
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(batch->records[i].start_ns, records[i].start_ns) << i;
    EXPECT_EQ(batch->records[i].end_ns, records[i].end_ns) << i;
    EXPECT_EQ(json_of(batch->records[i]), json_of(records[i])) << i;
  }
}

TEST(BatchCodec, NumbersOfEveryLengthAndTextsOfEveryCopyRoundTrip) {
  // The encoder writes a varint with word stores chosen by its length, and
  // copies a text with moves chosen by its size: every varint length (the
  // values on both sides of each power of two) and every text size up to
  // 40, and one past 127 (its length two bytes), in both layouts.
  std::vector<Record> records;
  for (int width = 0; width <= 64; ++width) {
    for (uint64_t v : {width == 0 ? 0 : (uint64_t{1} << (width - 1)) - 1,
                       width == 0 ? 0 : uint64_t{1} << (width - 1),
                       width == 64 ? UINT64_MAX : (uint64_t{1} << width) - 1}) {
      Record r = http_record(width);
      r.start_ns = v;
      r.end_ns = ~v;
      r.pid = static_cast<uint32_t>(v);
      r.tid = static_cast<uint32_t>(v >> 32);
      r.status = static_cast<int>(v) * (width % 2 ? -1 : 1);
      r.req_bytes = v;
      r.resp_bytes = v ^ 1;
      const size_t size = records.size() % 41;
      r.path = std::string(size, static_cast<char>('a' + width % 26));
      r.method = std::string(size / 2, 'M');
      r.detail = std::string(width == 40 ? 200 : 0, 'd');
      records.push_back(r);
    }
  }
  std::vector<const Record*> pointers;
  for (const Record& r : records) pointers.push_back(&r);
  auto batch = decode_batch(encode_batch({"a", 1}, records));
  auto noted = decode_noted_records(encode_noted_records(pointers, {}, 0));
  ASSERT_TRUE(batch);
  ASSERT_TRUE(noted);
  for (const std::vector<Record>* decoded : {&batch->records, &noted->records}) {
    ASSERT_EQ(decoded->size(), records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      // The JSON holds every number exactly; detail's bytes apart.
      EXPECT_EQ(json_of((*decoded)[i]), json_of(records[i])) << i;
      EXPECT_EQ((*decoded)[i].detail, records[i].detail) << i;
    }
  }
}

TEST(BatchCodec, CompactRecordsCarryOnlyTheirNonEmptyFields) {
  // Version 3 by hand, as a later agent might write it: "path", then a
  // field this build lacks, then "method"; a protocol id this build does
  // not know.
  Raw raw;
  raw.bytes({3}).str("a").bytes({5});                      // version, agent "a", seq 5
  raw.bytes({3}).str("path").str("future").str("method");  // three text fields
  raw.bytes({2});                                          // two records:
  raw.bytes({100, 4, 5, 2, 0, 9, 0, 0, 1, 2});             // start 100, end +2, redis, server,
                                                           // flags, pid, tid, status, bytes
  raw.bytes({0b011}).str("GET").str("new");                // path and future set
  raw.bytes({7, 1, 99, 1, 2, 1, 1, 0, 0, 0});              // start 7, end 6, protocol 99,
                                                           // client, error, ...
  raw.bytes({0b100}).str("SET");                           // method set
  BatchDecodeError error;
  auto batch = decode_batch(zstd(raw.out), &error);
  ASSERT_TRUE(batch) << error.why;
  EXPECT_EQ(batch->key.seq, 5u);
  ASSERT_EQ(batch->records.size(), 2u);
  const Record& r = batch->records[0];
  EXPECT_EQ(r.start_ns, 100u);
  EXPECT_EQ(r.end_ns, 102u);
  EXPECT_EQ(r.path, "GET");
  EXPECT_EQ(r.method, "");
  EXPECT_EQ(r.protocol, Protocol::Redis);
  EXPECT_EQ(r.role, Role::Server);
  EXPECT_EQ(r.pid, 9u);
  EXPECT_EQ(r.resp_bytes, 2u);
  const Record& s = batch->records[1];
  EXPECT_EQ(s.end_ns, 6u);
  EXPECT_EQ(s.protocol, Protocol::Unknown);
  EXPECT_EQ(s.role, Role::Client);
  EXPECT_TRUE(s.error);
  EXPECT_EQ(s.path, "");
  EXPECT_EQ(s.method, "SET");
}

TEST(BatchCodec, TheCompactLayoutIsSmallerThanVersionOne) {
  std::vector<Record> records;
  for (int i = 0; i < 1000; ++i) records.push_back(http_record(i));
  auto raw_size = [](const std::string& body) {
    return ZSTD_getFrameContentSize(body.data(), body.size());
  };
  const auto v3 = raw_size(encode_batch({"a", 1}, records));
  const auto v1 = raw_size(test::encode_batch_v1({"a", 1}, records));
  // 133 -> 106 bytes a record: the names of protocol and role (13 bytes)
  // as one byte each, the end as a distance, 13 empty fields as 3 bytes.
  EXPECT_LT(v3 * 100, v1 * 82) << v3 << " vs " << v1;
}

}  // namespace
}  // namespace loupe
