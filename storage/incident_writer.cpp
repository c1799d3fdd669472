#include "storage/incident_writer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "dlpd/common/clock.h"
#include "dlpd/common/last_catch.h"

namespace dlp {

namespace {
constexpr size_t kMaxBatch = 2048;

std::string KeyOf(const Incident& in) {
  return in.flow_id + '\0' + in.rule_id;
}

// The first wait after a failed write; each next one doubles, up to
// retry_every_us.
constexpr int64_t kFirstBackoffUs = 100 * 1000;
// A failing store is logged this often at most.
constexpr int64_t kReportEveryUs = 60LL * 1000 * 1000;

int64_t NowUs() {  // wall time: what retention compares with stored times
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits and deadlines run on the clock a step of the wall clock cannot move.
int64_t SteadyUs() {
  return SystemClock::Instance().NowMicros();
}
}  // namespace

IncidentWriter::IncidentWriter(std::unique_ptr<IncidentStore> store, WriterOptions options,
                               std::vector<std::unique_ptr<IncidentSink>> sinks)
    : store_(std::move(store)),
      options_(options),
      sinks_(std::move(sinks)),
      thread_([this] { Run(); }) {}

IncidentWriter::~IncidentWriter() {
  Stop();
}

std::string IncidentWriter::AggregateFlowId(const std::string& scope, int64_t minute) {
  // FNV-1a 64 over the scope and minute: stable across runs and writers,
  // so a restart within the minute adds to the same row.
  uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::string_view s) {
    for (const char c : s) {
      h ^= static_cast<uint8_t>(c);
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // a separator no text holds
    h *= 0x100000001b3ULL;
  };
  mix(scope);
  mix(std::to_string(minute));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string IncidentWriter::FloodSource(const Incident& in) {
  // An IPv6 host holds a whole /64 (the new-flow limiter counts it so too):
  // rotating addresses in it must not give it a new allowance each.
  if (in.ip_version != 6) return in.src_ip;
  in6_addr a{};
  if (inet_pton(AF_INET6, in.src_ip.c_str(), &a) != 1) return in.src_ip;
  std::memset(a.s6_addr + 8, 0, 8);
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a, buf, sizeof buf) != nullptr ? std::string(buf) + "/64" : in.src_ip;
}

uint32_t* IncidentWriter::FloodCount(const std::string& key) {
  // Salted: the table's hash is public, its collisions must not be.
  std::string salted = flood_salt_ + key;
  auto it = flows_this_minute_.find(salted);
  if (it != flows_this_minute_.end()) return &it->second;
  if (flows_this_minute_.size() >= kMaxFloodKeys) return nullptr;
  return &flows_this_minute_.emplace(std::move(salted), 0).first->second;
}

void IncidentWriter::Aggregate(Incident& in) {
  if (options_.aggregate_after == 0) return;
  // One minute for every worker: an incident of a minute already past (its
  // worker was a little behind) counts in the current one.
  const int64_t minute = std::max<int64_t>(in.time_us / (60LL * 1000 * 1000), flood_minute_);
  if (minute > flood_minute_) {
    flows_this_minute_.clear();
    flood_minute_ = minute;
  }
  const std::string source = FloodSource(in) + '\0' + in.rule_id;
  // Per destination: a flood to one place folds, and a flow to another
  // place is not hidden in its row (the row keeps its first destination).
  const std::string to = source + '\0' + in.dst_ip + '\0' + std::to_string(in.dst_port);
  uint32_t* to_dest = FloodCount(to);
  uint32_t* rows_of_source = FloodCount(source);  // flows it stored one row each
  // A table full of sources (a /64 cannot do it): one row each, bounded by
  // the retention floor and the disk, rather than folded blind.
  if (to_dest == nullptr || rows_of_source == nullptr) return;
  *to_dest += in.flows;
  std::string scope;
  if (*to_dest > options_.aggregate_after) {
    scope = to;  // the flood to this place: its row
  } else if (*rows_of_source >= uint64_t{options_.aggregate_after} * kDestinationsPerSource) {
    scope = source;  // rows to too many places already: one row for the source
  } else {
    *rows_of_source += in.flows;
    return;
  }
  in.flow_id = AggregateFlowId(scope, minute);
  in.src_port = 0;
  aggregated_.fetch_add(1, std::memory_order_relaxed);
}

bool IncidentWriter::Submit(Incident incident) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (options_.wait_when_full) {
      room_.wait(lock, [&] { return stopping_ || queue_.size() < options_.capacity; });
    }
    if (stopping_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    Aggregate(incident);
    // Memory stays bounded however many distinct values the queue's
    // incidents list: past kMaxValuesQueued they are counted, not listed.
    const size_t room = kMaxValuesQueued - std::min(values_queued_, kMaxValuesQueued);
    if (incident.values.size() > room) {
      incident.values_unlisted += static_cast<uint32_t>(incident.values.size() - room);
      incident.values.resize(room);
    }
    auto it = waiting_.find(KeyOf(incident));
    if (it != waiting_.end()) {
      const size_t listed = it->second->values.size();
      MergeIncident(*it->second, incident);
      values_queued_ += it->second->values.size() - listed;
      coalesced_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (queue_.size() >= options_.capacity) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    values_queued_ += incident.values.size();
    queue_.push_back(std::move(incident));
    waiting_.emplace(KeyOf(queue_.back()), &queue_.back());
  }
  cv_.notify_one();
  return true;
}

bool IncidentWriter::SubmitAnomaly(AnomalyEvent anomaly) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || anomalies_.size() >= options_.anomaly_capacity) return false;
    anomalies_.push_back(std::move(anomaly));
  }
  cv_.notify_one();
  return true;
}

size_t IncidentWriter::backlog() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

Status IncidentWriter::ReopenSinks() {
  for (auto& s : sinks_) {
    if (Status st = s->Reopen(); !st) return st;
  }
  return {};
}

void IncidentWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    if (!stopping_) {
      stop_deadline_us_ = SteadyUs() + options_.stop_within_us;
      // A write waiting for a lock waits no longer than that either.
      store_->SetWaitDeadline(stop_deadline_us_);
    }
    stopping_ = true;
  }
  cv_.notify_one();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IncidentWriter::MaybePrune(bool force) {
  const int64_t now =
      options_.retention_clock != nullptr ? options_.retention_clock->WallMicros() : NowUs();
  if (!force && now - last_prune_us_ < options_.prune_interval_us) return;
  last_prune_us_ = now;
  auto report = store_->Prune(options_.retention, now);
  if (!report) {
    spdlog::warn("incident store: {}", report.error().message);
    return;
  }
  spdlog::debug("incident store: pruned ({} expired, {} over the size bound)", report->expired,
                report->trimmed);
  if (report->expired > 0) {
    spdlog::info("incident store: {} incidents older than {} days deleted", report->expired,
                 options_.retention.retain_days);
  }
  if (report->trimmed > 0) {
    spdlog::warn("incident store: over {} MiB: {} oldest incidents deleted",
                 options_.retention.max_bytes >> 20, report->trimmed);
  }
  if (report->held_by_floor) {
    spdlog::error(
        "incident store: over {} MiB, and no incident older than {} days is left to delete: "
        "none deleted (--min-retain-days); the file grows until the disk is full, and then "
        "incidents are lost (counted)",
        options_.retention.max_bytes >> 20, options_.retention.min_retain_days);
  }
  pruned_.fetch_add(report->expired + report->trimmed, std::memory_order_relaxed);
}

void IncidentWriter::Run() {
  RunGuarded("incident writer", [&] { MaybePrune(true); });
  std::vector<Incident> batch;
  std::vector<AnomalyEvent> anomalies;
  for (;;) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::microseconds(options_.prune_interval_us),
                   [&] { return stopping_ || !queue_.empty() || !anomalies_.empty(); });
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        waiting_.erase(KeyOf(queue_.front()));
        values_queued_ -= queue_.front().values.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      anomalies.swap(anomalies_);
      stop = stopping_ && queue_.empty();
    }
    room_.notify_all();
    // First: a batch of incidents may wait on the database, anomalies do not.
    WriteAnomalies(anomalies);
    // The last catch: what escapes the store's write costs that batch,
    // counted as dropped, never the writer thread.
    if (!RunGuarded("incident writer", [&] { WriteBatch(batch); })) {
      dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      batch.clear();
    }
    if (stop) return;
    if (SteadyUs() >= StopDeadline()) {
      // The writes failed, or went on too slowly to finish, by the deadline.
      Lose(batch, /*and_queue=*/true);
      spdlog::error("incident store: shutdown deadline passed; {} incidents lost in all", lost());
      continue;  // the queue is empty now: the next round stops
    }
    // A store that has failed for longer than the writer waits gets one try
    // every retry_every_us; meanwhile incidents wait in the queue (folded,
    // dropped when it is full). Stop ends the wait: what waits gets its try.
    if (failing_since_us_ != 0 && StopDeadline() == INT64_MAX) {
      Sleep(SteadyUs() + options_.retry_every_us);
    }
    RunGuarded("incident writer", [&] { MaybePrune(false); });
  }
}

void IncidentWriter::WarnSink(const std::string& why) {
  const int64_t now = SteadyUs();
  if (sink_warned_us_ != 0 && now - sink_warned_us_ < kReportEveryUs) return;
  sink_warned_us_ = now;
  spdlog::warn("{} (logged once a minute at most; {} lines dropped so far)", why, sink_dropped());
}

uint64_t IncidentWriter::sink_dropped() const {
  uint64_t n = 0;
  for (const auto& s : sinks_) n += s->dropped();
  return n;
}

int64_t IncidentWriter::StopDeadline() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_deadline_us_;
}

void IncidentWriter::Sleep(int64_t until_us) {
  std::unique_lock<std::mutex> lock(mu_);
  const bool stopping = stopping_;
  until_us = std::min(until_us, stop_deadline_us_);  // a stop that came before the call
  const int64_t now = SteadyUs();
  if (until_us <= now) return;
  cv_.wait_for(lock, std::chrono::microseconds(until_us - now),
               [&] { return stopping_ != stopping; });
}

void IncidentWriter::Lose(std::vector<Incident>& batch, bool and_queue) {
  uint64_t n = batch.size();
  batch.clear();
  if (and_queue) {
    std::lock_guard<std::mutex> lock(mu_);
    n += queue_.size();
    queue_.clear();
    waiting_.clear();
    values_queued_ = 0;
  }
  room_.notify_all();
  lost_.fetch_add(n, std::memory_order_relaxed);
  lost_while_failing_ += n;
}

void IncidentWriter::ReportFailure(const std::string& why, int64_t now_us) {
  if (reported_us_ != 0 && now_us - reported_us_ < kReportEveryUs) return;
  reported_us_ = now_us;
  spdlog::error(
      "incident store: {} (failing for {} s; {} incidents lost so far, {} waiting; traffic is "
      "not held for it)",
      why, (now_us - failing_since_us_) / 1000000, lost_while_failing_, backlog());
}

void IncidentWriter::WriteAnomalies(std::vector<AnomalyEvent>& anomalies) {
  if (anomalies.empty()) return;
  for (auto& sink : sinks_) {
    RunGuarded("incident sink", [&] {
      if (Status e = sink->WriteAnomalies(anomalies); !e) WarnSink(e.error().message);
    });
  }
  anomalies.clear();
}

void IncidentWriter::WriteBatch(std::vector<Incident>& batch) {
  int64_t backoff_us = kFirstBackoffUs;
  std::vector<StoredIncident> stored;  // the rows as committed, for the sinks
  while (!batch.empty()) {
    const int64_t deadline = StopDeadline();
    const int64_t began = SteadyUs();
    Status st = store_->InsertBatch(batch, &stored);
    const int64_t now = SteadyUs();
    if (st) {
      written_.fetch_add(batch.size(), std::memory_order_relaxed);
      spdlog::debug("incident store: {} incident(s) written in {} us", batch.size(), now - began);
      // After the commit: a line in the EVE log is an incident on disk.
      for (auto& sink : sinks_) {
        RunGuarded("incident sink", [&] {
          if (Status e = sink->Write(stored); !e) WarnSink(e.error().message);
        });
      }
      batch.clear();
      if (failing_since_us_ != 0) {
        spdlog::warn(
            "incident store: writing again after {} s of failed writes ({} incidents lost)",
            (now - failing_since_us_) / 1000000, lost_while_failing_);
        failing_since_us_ = 0;
      }
      return;
    }
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    if (failing_since_us_ == 0) {
      failing_since_us_ = now;
      reported_us_ = 0;
      lost_while_failing_ = 0;
    }
    ReportFailure(st.error().message, now);
    const int64_t give_up_at = std::min(failing_since_us_ + options_.give_up_after_us, deadline);
    if (now >= give_up_at) {
      Lose(batch, /*and_queue=*/false);  // at the stop deadline, Run loses the rest
      return;
    }
    Sleep(std::min(now + backoff_us, give_up_at));
    backoff_us = std::min(backoff_us * 2, options_.retry_every_us);
  }
}

}  // namespace dlp
