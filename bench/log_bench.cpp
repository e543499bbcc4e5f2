// The log path's speed (docs/benchmarks.md, "Logs"), three parts:
//   throughput  lines one core reads, parses, attributes and encodes for
//               shipping (gzip JSON, as `loupe agent` sends them), from a
//               kubelet-layout CRI file written beforehand: lines per CPU
//               second of the reading thread;
//   paced       the CPU the collector (tailer + batching + encoding) uses
//               while a writer thread appends 1,000 lines/s: the process's
//               CPU minus the writer's, as a share of one core;
//   search      full-text search over a store of N entries: ingest rate,
//               then the median time of typical /api/v1/logs queries.
// CPU time rather than wall time where it can: the machine is shared.
//
//   log_bench [--lines N] [--paced-seconds S] [--store-lines N] [--dir DIR]
// Prints "key: value" lines; bench/logs.sh runs it.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "agent/logs/log_collector.h"
#include "agent/logs/log_tailer.h"
#include "core/gzip.h"
#include "cpu_time.h"
#include "logs/pattern_miner.h"
#include "store/store.h"

using namespace loupe;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

using loupe::bench::thread_cpu_s;

namespace {

double process_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](timeval t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Args {
  uint64_t lines = 1'000'000;
  int paced_seconds = 20;
  uint64_t store_lines = 1'000'000;
  std::string dir = "/tmp/loupe-log-bench";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--lines")
      a.lines = std::stoull(v);
    else if (k == "--paced-seconds")
      a.paced_seconds = std::stoi(v);
    else if (k == "--store-lines")
      a.store_lines = std::stoull(v);
    else if (k == "--dir")
      a.dir = v;
  }
  return a;
}

// Application-like lines: a few templates with varying values, one rare
// line per 100,000 (what a search for an incident finds).
class LineMaker {
 public:
  std::string next(uint64_t i) {
    std::uniform_int_distribution<int> n(0, 99'999);
    switch (i % 5) {
      case 0:
        return "GET /api/users/" + std::to_string(n(rng_)) + " 200 " +
               std::to_string(n(rng_) % 900) + "ms";
      case 1:
        return "user " + word() + " logged in from 10.1." + std::to_string(n(rng_) % 256) + "." +
               std::to_string(n(rng_) % 256);
      case 2:
        return "level=info msg=\"cache miss\" key=cart:" + std::to_string(n(rng_)) +
               " shard=" + word();
      case 3:
        if (i % 100'000 == 3) return "ERROR deadlock detected in txn " + std::to_string(i);
        return "WARN payment declined for order " + std::to_string(n(rng_)) + " reason " + word();
      default:
        return "{\"level\":\"debug\",\"msg\":\"flushed " + std::to_string(n(rng_)) +
               " rows\",\"table\":\"" + word() + "\"}";
    }
  }

 private:
  std::string word() {
    std::uniform_int_distribution<int> w(0, 2'000);
    return "w" + std::to_string(w(rng_));
  }
  std::mt19937_64 rng_{42};
};

std::string cri(const std::string& text) {
  return "2026-11-30T13:06:39.123456789Z stdout F " + text + "\n";
}

void throughput(const Args& a) {
  fs::path pod = fs::path(a.dir) / "pods" / "shop_api-1_0c0ffee0-uid" / "app";
  fs::create_directories(pod);
  {
    std::ofstream out(pod / "0.log");
    LineMaker m;
    for (uint64_t i = 0; i < a.lines; ++i) out << cri(m.next(i));
  }
  logs::LogTailer tailer({.globs = {(fs::path(a.dir) / "pods/*/*/*.log").string()}}, {});
  uint64_t now = 1'800'000'000'000'000'000ULL;
  double cpu0 = thread_cpu_s();
  auto t0 = Clock::now();
  tailer.scan(now);
  uint64_t entries = 0, bytes = 0, shipped = 0;
  std::vector<logs::Entry> batch;
  while (true) {
    size_t got = tailer.read(2 << 20, now, batch);
    if (got == 0) tailer.read(2 << 20, now += 2'000'000'000, batch);  // the last entry completes
    bytes += got;
    if (!batch.empty()) {
      shipped += gzip_compress(logs::batch_json(batch)).size();  // as the log shipper does
      entries += batch.size();
      batch.clear();
      tailer.acknowledged();
    }
    if (got == 0) break;
  }
  double cpu = thread_cpu_s() - cpu0, wall = seconds_since(t0);
  std::printf("throughput_lines: %llu\n", static_cast<unsigned long long>(entries));
  std::printf("throughput_mb_read: %.1f\n", static_cast<double>(bytes) / 1e6);
  std::printf("throughput_gzip_mb_shipped: %.1f\n", static_cast<double>(shipped) / 1e6);
  std::printf("throughput_cpu_s: %.2f\n", cpu);
  std::printf("throughput_wall_s: %.2f\n", wall);
  std::printf("throughput_lines_per_cpu_s: %.0f\n", static_cast<double>(entries) / cpu);
  fs::remove_all(fs::path(a.dir) / "pods");
}

void paced(const Args& a) {
  fs::path pod = fs::path(a.dir) / "paced" / "shop_api-1_0c0ffee0-uid" / "app";
  fs::create_directories(pod);
  std::ofstream(pod / "0.log") << cri("start");
  std::atomic<uint64_t> delivered{0};
  logs::CollectorOptions opts;
  opts.tailer.globs = {(fs::path(a.dir) / "paced/*/*/*.log").string()};
  opts.node = "bench";
  logs::LogCollector collector(opts, [&](std::vector<logs::Entry>& b, std::string&) {
    (void)gzip_compress(logs::batch_json(b));
    delivered += b.size();
    return true;
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the first scan found the file
  double writer_cpu = 0;
  double cpu0 = process_cpu_s();
  auto t0 = Clock::now();
  std::thread writer([&] {
    double c0 = thread_cpu_s();
    std::ofstream out(pod / "0.log", std::ios::app);
    LineMaker m;
    auto next = Clock::now();
    for (uint64_t i = 0; i < static_cast<uint64_t>(a.paced_seconds) * 1000; ++i) {
      out << cri(m.next(i)) << std::flush;  // one write per line, as an application's logger
      next += std::chrono::microseconds(1000);
      std::this_thread::sleep_until(next);
    }
    writer_cpu = thread_cpu_s() - c0;
  });
  writer.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the last lines are delivered
  double wall = seconds_since(t0);
  double cpu = process_cpu_s() - cpu0 - writer_cpu;
  collector.stop();
  std::printf("paced_lines_per_s: %.0f\n", static_cast<double>(a.paced_seconds) * 1000 / wall);
  std::printf("paced_delivered: %llu\n", static_cast<unsigned long long>(delivered.load()));
  std::printf("paced_collector_cpu_s: %.3f\n", cpu);
  std::printf("paced_core_percent: %.2f\n", 100 * cpu / wall);
  fs::remove_all(fs::path(a.dir) / "paced");
}

void search(const Args& a) {
  fs::path dir = fs::path(a.dir) / "store";
  fs::remove_all(dir);
  auto store = store::open_sqlite_store(dir.string(), {.retention_ns = 0});
  logs::PatternMiner miner;
  LineMaker m;
  const uint64_t t_start = 1'800'000'000'000'000'000ULL, step = 1'000'000;  // 1,000 lines/s
  double cpu0 = thread_cpu_s();
  auto t0 = Clock::now();
  std::vector<logs::Entry> batch;
  for (uint64_t i = 0; i < a.store_lines; ++i) {
    logs::Entry e;
    e.time_ns = t_start + i * step;
    e.text = m.next(i);
    e.level = i % 5 == 3 ? logs::Level::Warn : logs::Level::Info;
    e.node = "n1";
    e.source = "src-" + std::to_string(i % 20);
    e.offset = i;
    e.namespace_ = "shop";
    e.pod = "api-" + std::to_string(i % 20);
    e.container = "app";
    e.workload = "Deployment/api";
    batch.push_back(std::move(e));
    if (batch.size() == 5'000 || i + 1 == a.store_lines) {
      store->write_log_patterns(miner.assign(batch));
      store->write_logs(batch);
      batch.clear();
    }
  }
  double ingest_cpu = thread_cpu_s() - cpu0, ingest_wall = seconds_since(t0);
  std::printf("store_lines: %llu\n", static_cast<unsigned long long>(a.store_lines));
  std::printf("store_ingest_lines_per_s: %.0f\n", static_cast<double>(a.store_lines) / ingest_wall);
  std::printf("store_ingest_lines_per_cpu_s: %.0f\n",
              static_cast<double>(a.store_lines) / ingest_cpu);
  uint64_t db_bytes = 0;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.is_regular_file()) db_bytes += f.file_size();
  std::printf("store_bytes_per_line: %.0f\n",
              static_cast<double>(db_bytes) / static_cast<double>(a.store_lines));

  store::LogQuery all;
  all.range = {t_start, t_start + a.store_lines * step + 1};
  struct Case {
    const char* name;
    std::function<size_t()> run;
  };
  auto text = [&](const char* words, std::optional<logs::Level> level = std::nullopt) {
    store::LogQuery q = all;
    q.text = words;
    if (level) q.levels = {*level};
    return q;
  };
  std::vector<Case> cases{
      {"rare word (deadlock), newest 100", [&] { return store->logs(text("deadlock")).size(); }},
      {"common word (payment), newest 100", [&] { return store->logs(text("payment")).size(); }},
      {"two words (declined w17), newest 100",
       [&] { return store->logs(text("declined w17")).size(); }},
      {"prefix (dead*), newest 100", [&] { return store->logs(text("dead*")).size(); }},
      {"newest 100, no search", [&] { return store->logs(all).size(); }},
      {"count of a word, per source (log_count alert)",
       [&] { return store->count_logs(text("deadlock")).size(); }},
      // Whole-minute buckets, as the UI asks for over 2 h or more.
      {"histogram by level, whole store, 1-minute buckets",
       [&] { return store->log_histogram(all, 60).size(); }},
      {"histogram by level, whole store, 17 s buckets (counted from rows)",
       [&] { return store->log_histogram(all, a.store_lines / 1000 / 60 + 1).size(); }},
  };
  for (const Case& c : cases) {
    std::vector<double> ms;
    size_t rows = 0;
    for (int i = 0; i < 5; ++i) {
      auto q0 = Clock::now();
      rows = c.run();
      ms.push_back(seconds_since(q0) * 1000);
    }
    std::sort(ms.begin(), ms.end());
    std::printf("query: %s: %.1f ms median of 5 (%zu rows)\n", c.name, ms[2], rows);
  }
  store.reset();
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  fs::remove_all(a.dir);
  fs::create_directories(a.dir);
  if (a.lines) throughput(a);
  if (a.paced_seconds) paced(a);
  if (a.store_lines) search(a);
  fs::remove_all(a.dir);
}
