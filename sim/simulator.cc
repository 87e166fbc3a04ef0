// SPDX-License-Identifier: Apache-2.0
// The simulator's HTTP front: auth, rate limit, faults, latency, admin, serving.
#include "sim/simulator.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "core/digits.h"
#include "core/json_writer.h"
#include "sim/api.h"
#include "sim/random.h"
#include "sim/rate_limit.h"

namespace segsync::sim {
namespace {

// Enough workers that a few stalled requests do not starve the rest.
constexpr size_t kWorkerThreads = 32;
constexpr size_t kKeepAliveMaxRequests = 100;
constexpr std::string_view kJson = "application/json";

enum class Fault {
  kNone,
  kInternalError,
  kUnavailable,
  kDisconnect,
  kTruncatedBody,
  kInvalidJson,
  kStall
};

// Whether, and how, the n-th API request fails: a pure function of seed and n.
Fault FaultFor(uint64_t seed, double fraction, uint64_t n) {
  if (fraction <= 0) {
    return Fault::kNone;
  }
  const uint64_t h = HashCombine(HashCombine(seed, HashString("faults")), n);
  if (HashToUnit(h) >= fraction) {
    return Fault::kNone;
  }
  static constexpr std::array<Fault, 6> kKinds = {Fault::kInternalError, Fault::kUnavailable,
                                                  Fault::kDisconnect,    Fault::kTruncatedBody,
                                                  Fault::kInvalidJson,   Fault::kStall};
  return kKinds[SplitMix64(h) % kKinds.size()];
}

// One JSON line per request, appended and flushed so a test can read it at any moment.
class RequestLog {
 public:
  static Result<std::unique_ptr<RequestLog>> Open(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "a");
    if (file == nullptr) {
      return Status::Io("cannot open request log '" + path + "': " + std::strerror(errno));
    }
    return std::unique_ptr<RequestLog>(new RequestLog(file));
  }
  ~RequestLog() { std::fclose(file_); }
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  void Write(std::string_view method, std::string_view path, std::string_view query, int status,
             int64_t millis) {
    JsonWriter w;
    w.BeginObject();
    w.Key("method").String(method);
    w.Key("path").String(path);
    w.Key("query").String(query);
    w.Key("status").Int(status);
    w.Key("ms").Int(millis);
    w.EndObject();
    std::string line = w.Take();
    line.push_back('\n');
    std::lock_guard lock(mutex_);
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
  }

 private:
  explicit RequestLog(std::FILE* file) : file_(file) {}
  std::FILE* file_;
  std::mutex mutex_;
};

// cpp-httplib gives handlers no access to the socket. The connection is found by its two
// endpoints among the process's descriptors; the handler's thread owns it meanwhile. -1 when it
// cannot be found.
int ConnectionOf(const httplib::Request& req) {
  auto port_of = [](const sockaddr_storage& a) -> int {
    if (a.ss_family == AF_INET) {
      return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
    }
    if (a.ss_family == AF_INET6) {
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
    }
    return -1;
  };
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    int fd = -1;
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) {
      continue;
    }
    sockaddr_storage local{};
    sockaddr_storage peer{};
    socklen_t local_len = sizeof(local);
    socklen_t peer_len = sizeof(peer);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0 &&
        getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0 &&
        port_of(local) == req.local_port && port_of(peer) == req.remote_port) {
      return fd;
    }
  }
  return -1;
}

bool PeerHungUp(int fd) {
  pollfd entry{fd, POLLRDHUP, 0};
  return ::poll(&entry, 1, 0) > 0 && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::string RawQuery(const httplib::Request& req) {
  const size_t question = req.target.find('?');
  return question == std::string::npos ? std::string() : req.target.substr(question + 1);
}

std::string RawPath(const httplib::Request& req) {
  return req.target.substr(0, req.target.find('?'));
}

bool IsAuthorized(const httplib::Request& req, const std::string& token) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) {
    return false;
  }
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) {
      return false;
    }
  }
  return header.compare(kScheme.size(), std::string::npos, token) == 0;
}

// A server that keeps everything has history older than the 90 days a clamping client asks for.
constexpr int kKeepAllAuditHistoryDays = 200;

Result<Entitlements> EntitlementsFrom(const SimOptions& options) {
  if (options.plan != "business" && options.plan != "team") {
    return Status::Config("plan '" + options.plan + "' is not one of business, team");
  }
  Entitlements entitlements{options.plan == "business", options.protocols, options.subscriptions};
  entitlements.destination_filters = options.plan == "business";
  if (options.audit_old_start == "ignore") {
    entitlements.audit_old_start = AuditOldStart::kIgnore;
  } else if (options.audit_old_start == "reject") {
    entitlements.audit_old_start = AuditOldStart::kReject;
  } else if (options.audit_old_start != "keep-all") {
    return Status::Config("audit_old_start '" + options.audit_old_start +
                          "' is not one of ignore, reject, keep-all");
  }
  static constexpr std::array<std::pair<std::string_view, VolumeEndTime>, 4> kVolumeEndTimes = {{
      {"boundary", VolumeEndTime::kBoundary},
      {"any", VolumeEndTime::kAny},
      {"past", VolumeEndTime::kPast},
      {"boundary-past", VolumeEndTime::kBoundaryPast},
  }};
  const auto mode = std::find_if(kVolumeEndTimes.begin(), kVolumeEndTimes.end(),
                                 [&](const auto& m) { return m.first == options.volume_end_time; });
  if (mode == kVolumeEndTimes.end()) {
    return Status::Config("volume_end_time '" + options.volume_end_time +
                          "' is not one of boundary, any, past, boundary-past");
  }
  entitlements.volume_end_time = mode->second;
  return entitlements;
}

Status CheckOptions(const SimOptions& options) {
  if (options.port < 0 || options.port > 65535) {
    return Status::Config("port " + std::to_string(options.port) + " is not in 0..65535");
  }
  if (!(options.faults >= 0 && options.faults <= 1)) {
    return Status::Config("faults must be a fraction between 0 and 1");
  }
  if (options.latency_ms < 0 || options.stall_ms < 0) {
    return Status::Config("latency and stall must be >= 0 ms");
  }
  return Status::Ok();
}

}  // namespace

/// The HTTP front of the simulator: auth, rate limits, faults, latency, the request log and the
/// /__sim/ admin endpoints, in front of a SimulatedApi.
class SimServer {
 public:
  SimServer(const SimOptions& options, Workspace workspace, Entitlements entitlements,
            RateLimits limits, std::unique_ptr<RequestLog> log)
      : options_(options),
        api_(std::move(workspace), entitlements),
        limits_(std::move(limits)),
        log_(std::move(log)) {}

  ~SimServer() { Stop(); }

  Status Listen() {
    http_.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    http_.set_keep_alive_max_count(kKeepAliveMaxRequests);
    // Headers and body go out in separate writes; without NODELAY, Nagle plus the client's
    // delayed ACK adds ~40 ms to every keep-alive request.
    http_.set_tcp_nodelay(true);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Dispatch(req, res);
    };
    http_.Get(".*", handler);
    http_.Post(".*", handler);
    http_.Put(".*", handler);
    http_.Patch(".*", handler);
    http_.Delete(".*", handler);
    http_.Options(".*", handler);
    if (options_.port == 0) {
      port_ = http_.bind_to_any_port(options_.bind_host);
    } else if (http_.bind_to_port(options_.bind_host, options_.port)) {
      port_ = options_.port;
    }
    if (port_ <= 0) {
      return Status::Io("cannot listen on " + options_.bind_host + ":" +
                        std::to_string(options_.port));
    }
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!http_.is_running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Status::Internal("the simulator's HTTP server did not start");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Status::Ok();
  }

  void Stop() {
    {
      std::lock_guard lock(stop_mutex_);
      if (stopping_) {
        return;
      }
      stopping_ = true;
    }
    stop_cv_.notify_all();
    http_.stop();
    if (thread_.joinable()) {
      thread_.join();
    }
  }

  int port() const { return port_; }

  std::string base_url() const {
    const bool wildcard =
        options_.bind_host.empty() || options_.bind_host == "0.0.0.0" || options_.bind_host == "::";
    return "http://" + (wildcard ? std::string("127.0.0.1") : options_.bind_host) + ":" +
           std::to_string(port_);
  }

 private:
  void Dispatch(const httplib::Request& req, httplib::Response& res) {
    const auto started = std::chrono::steady_clock::now();
    const int status = req.path.starts_with("/__sim/") ? Admin(req, res) : Api(req, res);
    if (log_ != nullptr) {
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      log_->Write(req.method, RawPath(req), RawQuery(req), status, elapsed.count());
    }
  }

  // Returns the status to log: 0 when the connection was dropped without a response.
  int Api(const httplib::Request& req, httplib::Response& res) {
    WaitUnlessStopping(options_.latency_ms);
    if (!IsAuthorized(req, options_.token)) {
      return Reply(res, 401,
                   ErrorBody({401, "Unauthorized",
                              "The request is missing a valid Authorization bearer token", ""}));
    }
    // Counted on arrival, after the latency: a request sent late in a window may land in the
    // next one.
    std::optional<RateDecision> quota;
    if (RateLimiter* limiter = limits_.For(req.path); limiter != nullptr) {
      const UnixMillis now = SystemClock::Instance().Now();
      quota = limiter->Admit(options_.token, now);
      if (!quota->allowed) {
        return Reply(res, 429, RateLimitedBody(*quota, now));
      }
    }
    const Fault fault = FaultFor(options_.seed, options_.faults, fault_counter_++);
    switch (fault) {
      case Fault::kInternalError:
        return Reply(res, 500,
                     ErrorBody({500, "InternalServerError", "Internal server error", ""}));
      case Fault::kUnavailable:
        // What a load balancer in front of an overloaded service sends: not JSON at all.
        res.status = 503;
        res.set_content("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
                        "text/html");
        return 503;
      case Fault::kDisconnect:
        if (const int fd = ConnectionOf(req); fd >= 0) {
          ::shutdown(fd, SHUT_RDWR);
        }
        res.status = 500;
        return 0;
      case Fault::kStall:
        Stall(req);
        break;
      default:
        break;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      return Reply(res, 404, ErrorBody({404, "NotFound", "Resource not found", ""}));
    }
    ApiResponse response =
        api_.Get(req.path, ParseQuery(RawQuery(req)), SystemClock::Instance().Now());
    if (quota.has_value() && response.status < 300) {
      res.set_header("X-RateLimit-Consumed", std::to_string(quota->consumed));
      res.set_header("X-RateLimit-Remaining", std::to_string(quota->remaining));
      // Whole seconds, as RFC 5322 has them; rounded up by default, so that a client waiting
      // until the stated second is never early.
      res.set_header("X-RateLimit-Reset",
                     FormatRfc5322(RoundToSecond(quota->reset_at, options_.rate_reset_round_up)));
    }
    if (fault == Fault::kInvalidJson) {
      response.status = 200;
      response.body.resize(response.body.size() / 2);
    }
    if (fault == Fault::kTruncatedBody) {
      // Content-Length promises the whole body; half is sent, then the connection closes.
      auto body = std::make_shared<std::string>(std::move(response.body));
      res.status = response.status;
      res.set_content_provider(body->size(), std::string(kJson),
                               [body](size_t offset, size_t, httplib::DataSink& sink) {
                                 const size_t half = body->size() / 2;
                                 if (offset < half) {
                                   sink.write(body->data() + offset, half - offset);
                                   return true;
                                 }
                                 return false;
                               });
      return response.status;
    }
    return Reply(res, response.status, std::move(response.body));
  }

  int Admin(const httplib::Request& req, httplib::Response& res) {
    const UnixMillis now = SystemClock::Instance().Now();
    if (req.method == "GET" && req.path == "/__sim/dump") {
      // `streams=a,b` limits the dump to those keys; a large workspace's full dump is big.
      std::vector<std::string> only;
      const QueryParams query = ParseQuery(RawQuery(req));
      if (auto it = query.find("streams"); it != query.end()) {
        std::string_view rest = it->second;
        while (!rest.empty()) {
          const size_t comma = rest.find(',');
          only.emplace_back(rest.substr(0, comma));
          rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
      }
      return Reply(res, 200, api_.Dump(now, only));
    }
    if (req.method == "POST" && req.path == "/__sim/delete") {
      const QueryParams query = ParseQuery(RawQuery(req));
      auto param = [&query](const std::string& name) {
        auto it = query.find(name);
        return it == query.end() ? std::string() : it->second;
      };
      ApiResponse response = api_.Delete(param("stream"), param("id"), param("when"));
      return Reply(res, response.status, std::move(response.body));
    }
    if (req.method == "POST" && (req.path == "/__sim/update" || req.path == "/__sim/restore")) {
      const QueryParams query = ParseQuery(RawQuery(req));
      auto param = [&query](const std::string& name) {
        auto it = query.find(name);
        return it == query.end() ? std::string() : it->second;
      };
      ApiResponse response =
          req.path == "/__sim/update"
              ? api_.Update(param("stream"), param("id"), param("field"), param("value"), now)
              : api_.Restore(param("stream"), param("id"));
      return Reply(res, response.status, std::move(response.body));
    }
    if (req.method == "POST" && req.path == "/__sim/audit") {
      const QueryParams query = ParseQuery(RawQuery(req));
      const auto add = query.find("add");
      const auto count = ParseDigits(add == query.end() ? std::string_view() : add->second, 7);
      if (!count.has_value()) {
        return Reply(
            res, 400,
            ErrorBody({400, "BadRequest", "add must be a number of events up to 9999999", "add"}));
      }
      api_.AddAuditEvents(*count, now);
      JsonWriter w;
      w.BeginObject().Key("added").Int(*count).EndObject();
      return Reply(res, 200, w.Take());
    }
    if (req.method == "POST" && req.path == "/__sim/syncs") {
      const QueryParams query = ParseQuery(RawQuery(req));
      const auto advance = query.find("advance");
      const auto count =
          ParseDigits(advance == query.end() ? std::string_view() : advance->second, 3);
      if (!count.has_value() || *count == 0) {
        return Reply(
            res, 400,
            ErrorBody({400, "BadRequest", "advance must be a number from 1 to 999", "advance"}));
      }
      api_.AdvanceSyncs(static_cast<int>(*count), now);
      JsonWriter w;
      w.BeginObject().Key("advanced").Int(*count).EndObject();
      return Reply(res, 200, w.Take());
    }
    return Reply(res, 404, ErrorBody({404, "NotFound", "Resource not found", ""}));
  }

  static int Reply(httplib::Response& res, int status, std::string body) {
    res.status = status;
    // Moved, not copied as set_content would: pages of large lists run to megabytes.
    res.body = std::move(body);
    res.set_header("Content-Type", std::string(kJson));
    return status;
  }

  static std::string RateLimitedBody(const RateDecision& quota, UnixMillis now) {
    JsonWriter w;
    w.BeginObject().Key("errors").BeginArray().BeginObject();
    w.Key("type").String("RequestError");
    w.Key("message").String("Too many requests");
    w.Key("data").BeginObject();
    w.Key("remainingPoints").Int(0);
    w.Key("msBeforeNext").Int(std::max<int64_t>(0, quota.retry_at - now));
    w.Key("consumedPoints").Int(quota.consumed);
    w.EndObject();
    w.EndObject().EndArray().EndObject();
    return w.Take();
  }

  // Hangs for stall_ms, but ends when the client gives up, so that stalls never tie up the
  // worker threads, and when the server stops.
  void Stall(const httplib::Request& req) {
    const int fd = ConnectionOf(req);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.stall_ms);
    std::unique_lock lock(stop_mutex_);
    while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
      if (fd >= 0 && PeerHungUp(fd)) {
        return;
      }
      stop_cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; });
    }
  }

  // Sleeps, but returns at once when the server stops.
  void WaitUnlessStopping(int millis) {
    if (millis <= 0) {
      return;
    }
    std::unique_lock lock(stop_mutex_);
    stop_cv_.wait_for(lock, std::chrono::milliseconds(millis), [this] { return stopping_; });
  }

  const SimOptions options_;
  SimulatedApi api_;
  RateLimits limits_;
  std::unique_ptr<RequestLog> log_;
  std::atomic<uint64_t> fault_counter_{0};

  httplib::Server http_;
  std::thread thread_;
  int port_ = -1;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

Result<std::unique_ptr<Simulator>> Simulator::Start(const SimOptions& options) {
  SEGSYNC_RETURN_NOT_OK(CheckOptions(options));
  SEGSYNC_ASSIGN_OR_RETURN(ScaleSpec scale, ScaleNamed(options.scale));
  SEGSYNC_ASSIGN_OR_RETURN(Entitlements entitlements, EntitlementsFrom(options));
  if (options.audit_events >= 0) {
    scale.audit_events = static_cast<int>(std::min<int64_t>(options.audit_events, 10'000'000));
  }
  if (entitlements.audit_old_start == AuditOldStart::kKeepAll) {
    scale.audit_history_days = kKeepAllAuditHistoryDays;
  }
  // /events/volume's documented 60 a minute is on unless switched off; a limit given for it
  // explicitly comes first and so wins.
  std::vector<std::string> endpoint_limits = options.endpoint_limits;
  if (options.events_volume_limit) {
    endpoint_limits.emplace_back(kEventsVolumeLimit);
  }
  SEGSYNC_ASSIGN_OR_RETURN(
      RateLimits limits,
      RateLimits::Make(options.rate_limit_mode, options.rate_limit, options.rate_window_ms,
                       options.rate_burst, endpoint_limits));
  std::unique_ptr<RequestLog> log;
  if (!options.request_log.empty()) {
    SEGSYNC_ASSIGN_OR_RETURN(log, RequestLog::Open(options.request_log));
  }
  // cpp-httplib writes without MSG_NOSIGNAL: a client that hangs up must not kill the process.
  struct sigaction current {};
  if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    std::signal(SIGPIPE, SIG_IGN);
  }
  auto server = std::make_unique<SimServer>(
      options, GenerateWorkspace(options.seed, scale, SystemClock::Instance().Now()), entitlements,
      std::move(limits), std::move(log));
  SEGSYNC_RETURN_NOT_OK(server->Listen());
  return std::unique_ptr<Simulator>(new Simulator(std::move(server)));
}

Simulator::Simulator(std::unique_ptr<SimServer> server) : server_(std::move(server)) {}

Simulator::~Simulator() { Stop(); }

int Simulator::port() const { return server_->port(); }

std::string Simulator::base_url() const { return server_->base_url(); }

void Simulator::Stop() { server_->Stop(); }

int ServeUntilSignal(const SimOptions& options) {
  // Block the signals before any server thread exists, so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  auto simulator = Simulator::Start(options);
  if (!simulator.ok()) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    std::fprintf(stderr, "segsync simulate: %s\n", simulator.status().message().c_str());
    return 1;
  }
  std::printf("listening on %s\n", (*simulator)->base_url().c_str());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  (*simulator)->Stop();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return 0;
}

}  // namespace segsync::sim
