#include "storage/incident_writer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <vector>

namespace dlp {

namespace {
constexpr size_t kMaxBatch = 512;
}

IncidentWriter::IncidentWriter(std::unique_ptr<IncidentStore> store, size_t capacity)
    : store_(std::move(store)), capacity_(capacity), thread_([this] { Run(); }) {}

IncidentWriter::~IncidentWriter() {
  Stop();
}

bool IncidentWriter::Submit(Incident incident) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= capacity_) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(std::move(incident));
  }
  cv_.notify_one();
  return true;
}

size_t IncidentWriter::backlog() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void IncidentWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void IncidentWriter::Run() {
  std::vector<Incident> batch;
  for (;;) {
    bool stop;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      stop = stopping_ && queue_.empty();
    }
    for (int attempt = 0; !batch.empty(); ++attempt) {
      Status st = store_->InsertBatch(batch);
      if (st) {
        written_.fetch_add(batch.size(), std::memory_order_relaxed);
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
    if (stop) return;
  }
}

}  // namespace dlp
