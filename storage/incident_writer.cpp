#include "storage/incident_writer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

#include "dlpd/common/last_catch.h"

namespace dlp {

namespace {
constexpr size_t kMaxBatch = 2048;

std::string KeyOf(const Incident& in) {
  return in.flow_id + '\0' + in.rule_id;
}

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
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
    auto it = waiting_.find(KeyOf(incident));
    if (it != waiting_.end()) {
      MergeIncident(*it->second, incident);
      coalesced_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    if (queue_.size() >= options_.capacity) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
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
    stopping_ = true;
  }
  cv_.notify_one();
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IncidentWriter::MaybePrune(bool force) {
  const int64_t now = NowUs();
  if (!force && now - last_prune_us_ < options_.prune_interval_us) return;
  last_prune_us_ = now;
  auto report = store_->Prune(options_.retention, now);
  if (!report) {
    spdlog::warn("incident store: {}", report.error().message);
    return;
  }
  if (report->expired > 0) {
    spdlog::info("incident store: {} incidents older than {} days deleted", report->expired,
                 options_.retention.retain_days);
  }
  if (report->trimmed > 0) {
    spdlog::warn("incident store: over {} MiB: {} oldest incidents deleted",
                 options_.retention.max_bytes >> 20, report->trimmed);
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
    if (!RunGuarded("incident writer", [&] { WriteBatch(batch, stop); })) {
      dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      batch.clear();
    }
    if (stop) return;
    RunGuarded("incident writer", [&] { MaybePrune(false); });
  }
}

void IncidentWriter::WriteAnomalies(std::vector<AnomalyEvent>& anomalies) {
  if (anomalies.empty()) return;
  for (auto& sink : sinks_) {
    RunGuarded("incident sink", [&] {
      if (Status e = sink->WriteAnomalies(anomalies); !e) spdlog::warn("{}", e.error().message);
    });
  }
  anomalies.clear();
}

void IncidentWriter::WriteBatch(std::vector<Incident>& batch, bool stop) {
  for (int attempt = 0; !batch.empty(); ++attempt) {
    Status st = store_->InsertBatch(batch);
    if (st) {
      written_.fetch_add(batch.size(), std::memory_order_relaxed);
      // After the commit: a line in the EVE log is an incident on disk.
      for (auto& sink : sinks_) {
        RunGuarded("incident sink", [&] {
          if (Status e = sink->Write(batch); !e) spdlog::warn("{}", e.error().message);
        });
      }
      batch.clear();
      break;
    }
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("incident store: {} ({} incidents waiting, retrying)", st.error().message,
                 batch.size());
    if (stop && attempt >= 20) {
      dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      spdlog::error("incident store: giving up on {} incidents at shutdown", batch.size());
      batch.clear();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace dlp
