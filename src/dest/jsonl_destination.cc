// SPDX-License-Identifier: Apache-2.0
// The JSONL destination: a file of JSON lines per stream, published whole at each commit.
#include "dest/jsonl_destination.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/json_writer.h"
#include "core/log.h"

namespace segsync {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kStateFile = "_segsync_state.json";
constexpr std::string_view kRunsFile = "_segsync_runs.jsonl";
constexpr std::string_view kTempSuffix = ".tmp";
// Lines are written in chunks this big, so the pending file costs few system calls.
constexpr size_t kFlushBytes = size_t{1} << 20;

std::string_view Hint(int error) {
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return "free some disk space and run again";
    case EACCES:
    case EPERM:
    case EROFS:
      return "check that the directory is writable by this user";
    default:
      return "check that the directory exists and is writable";
  }
}

Status IoError(std::string_view what, const fs::path& path, int error) {
  return Status::Io("JSONL destination: " + std::string(what) + " " + path.string() +
                    " failed: " + std::strerror(error) + "; " + std::string(Hint(error)));
}

Status IoError(std::string_view what, const fs::path& path, const std::error_code& error) {
  return IoError(what, path, error.value());
}

/// Closes a POSIX file descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      return IoError("writing", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

Status SyncFd(int fd, const fs::path& path) {
  if (::fsync(fd) != 0) {
    return IoError("flushing to disk", path, errno);
  }
  return Status::Ok();
}

/// Make a rename durable: the directory entry must reach the disk too.
Status SyncDirectory(const fs::path& directory) {
  const ScopedFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    return IoError("opening directory", directory, errno);
  }
  return SyncFd(fd.get(), directory);
}

/// Open `temp` for appending, holding a copy of `source` if that exists: the caller appends new
/// lines and renames temp over source, so readers see either the old file or the whole new one.
Result<int> OpenCopyForAppend(const fs::path& source, const fs::path& temp) {
  std::error_code error;
  int flags = O_WRONLY | O_APPEND | O_CLOEXEC;
  if (fs::exists(source, error)) {
    if (!fs::copy_file(source, temp, fs::copy_options::overwrite_existing, error)) {
      return IoError("copying " + source.string() + " to", temp, error);
    }
  } else {
    // A temp file left by a killed process was never published: start it afresh.
    flags |= O_CREAT | O_TRUNC;
  }
  const int fd = ::open(temp.c_str(), flags, 0644);
  if (fd < 0) {
    return IoError("opening", temp, errno);
  }
  return fd;
}

/// Sync `fd` (the open temp file), rename `temp` over `target`, and sync the directory.
Status Publish(int fd, const fs::path& temp, const fs::path& target) {
  SEGSYNC_RETURN_NOT_OK(SyncFd(fd, temp));
  std::error_code error;
  fs::rename(temp, target, error);
  if (error) {
    return IoError("renaming " + temp.string() + " to", target, error);
  }
  return SyncDirectory(target.parent_path());
}

/// Write `text` to `fd` (the open temp file) and publish it as `target`; on failure the temp
/// file is removed and `target` is left as it was.
Status WriteAndPublish(int fd, std::string_view text, const fs::path& temp,
                       const fs::path& target) {
  Status status = WriteAll(fd, text, temp);
  if (status.ok()) {
    status = Publish(fd, temp, target);
  }
  if (!status.ok()) {
    std::error_code ignored;
    fs::remove(temp, ignored);
  }
  return status;
}

/// Append `text` to `target` atomically.
Status AppendAtomically(const fs::path& target, std::string_view text) {
  fs::path temp = target;
  temp += kTempSuffix;
  SEGSYNC_ASSIGN_OR_RETURN(const int raw_fd, OpenCopyForAppend(target, temp));
  const ScopedFd fd(raw_fd);
  return WriteAndPublish(fd.get(), text, temp, target);
}

/// Replace `target` with `text` atomically.
Status ReplaceAtomically(const fs::path& target, std::string_view text) {
  fs::path temp = target;
  temp += kTempSuffix;
  const ScopedFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return IoError("opening", temp, errno);
  }
  return WriteAndPublish(fd.get(), text, temp, target);
}

using StateEntries = std::vector<std::pair<std::string, std::string>>;

/// The state file as (stream, compact state JSON) pairs; empty when there is no file.
Result<StateEntries> LoadStates(const fs::path& path) {
  StateEntries entries;
  std::error_code error;
  if (!fs::exists(path, error)) {
    return entries;
  }
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.load(path.string()).get_object().get(object) != simdjson::SUCCESS) {
    return Status::Parse("JSONL destination: the state file " + path.string() +
                         " is not a JSON object; fix it, or delete it to sync from the start");
  }
  for (const simdjson::dom::key_value_pair field : object) {
    entries.emplace_back(std::string(field.key), simdjson::minify(field.value));
  }
  return entries;
}

}  // namespace

JsonlDestination::JsonlDestination(fs::path directory) : directory_(std::move(directory)) {}

JsonlDestination::~JsonlDestination() { AbortStream(); }

Result<std::optional<std::string>> JsonlDestination::ReadState(std::string_view stream) {
  SEGSYNC_ASSIGN_OR_RETURN(StateEntries entries, LoadStates(directory_ / kStateFile));
  for (auto& [name, state] : entries) {
    if (name == stream) {
      return std::optional<std::string>(std::move(state));
    }
  }
  return std::optional<std::string>();
}

Status JsonlDestination::BeginStream(const TableSpec& table) {
  if (stream_) {
    return Status::Internal("stream " + table.name + " was begun while stream " + stream_->name +
                            " is still open");
  }
  if (table.name.empty() || table.name.front() == '.' ||
      table.name.find('/') != std::string::npos) {
    return Status::Internal("stream name \"" + table.name + "\" cannot be used as a file name");
  }
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error) {
    return IoError("creating directory", directory_, error);
  }
  const fs::path target = directory_ / (table.name + ".jsonl");
  pending_path_ = target;
  pending_path_ += kTempSuffix;
  SEGSYNC_ASSIGN_OR_RETURN(pending_fd_, OpenCopyForAppend(target, pending_path_));
  stream_ = table;
  buffer_.clear();
  return Status::Ok();
}

Status JsonlDestination::Write(const std::vector<Record>& records, std::string_view extracted_at) {
  if (!stream_) {
    return Status::Internal("records were written to JSONL with no stream open");
  }
  for (const Record& record : records) {
    for (const std::string& key : stream_->primary_key) {
      const Value* value = record.Find(key);
      if (value == nullptr || value->is_null()) {
        return Status::Invalid("a record of stream " + stream_->name +
                               " has no value for primary-key field " + key +
                               "; every record needs its key to be stored");
      }
    }
    buffer_.push_back('{');
    for (const auto& [name, value] : record.fields) {
      if (name == kExtractedAtColumn) {
        return Status::Invalid("a record of stream " + stream_->name + " has a field named " +
                               name + ", which segsync reserves for its own field");
      }
      AppendJsonString(buffer_, name);
      buffer_.push_back(':');
      AppendValueJson(buffer_, value);
      buffer_.push_back(',');
    }
    AppendJsonString(buffer_, kExtractedAtColumn);
    buffer_.push_back(':');
    AppendJsonString(buffer_, extracted_at);
    buffer_.append("}\n");
    if (buffer_.size() >= kFlushBytes) {
      SEGSYNC_RETURN_NOT_OK(FlushPending());
    }
  }
  return Status::Ok();
}

Status JsonlDestination::FlushPending() {
  SEGSYNC_RETURN_NOT_OK(WriteAll(pending_fd_, buffer_, pending_path_));
  buffer_.clear();
  return Status::Ok();
}

Result<int64_t> JsonlDestination::CommitStream(const StreamCommit& commit) {
  if (!stream_) {
    return Status::Internal("a commit was requested with no stream open");
  }
  Status status = FinishStream(commit);
  AbortStream();  // after a successful commit this only closes the stream
  if (!status.ok()) {
    return status;
  }
  return int64_t{0};
}

Status JsonlDestination::FinishStream(const StreamCommit& commit) {
  // Build the new state file before publishing the data, so a state that is not JSON fails the
  // commit instead of leaving data without its state.
  std::string state_file;
  const fs::path state_path = directory_ / kStateFile;
  if (commit.state) {
    simdjson::dom::parser parser;
    simdjson::dom::element parsed;
    if (parser.parse(*commit.state).get(parsed) != simdjson::SUCCESS) {
      return Status::Internal("the state of stream " + stream_->name +
                              " is not JSON: " + *commit.state);
    }
    SEGSYNC_ASSIGN_OR_RETURN(StateEntries entries, LoadStates(state_path));
    bool replaced = false;
    for (auto& [name, state] : entries) {
      if (name == stream_->name) {
        state = simdjson::minify(parsed);
        replaced = true;
      }
    }
    if (!replaced) {
      entries.emplace_back(stream_->name, simdjson::minify(parsed));
    }
    JsonWriter writer;
    writer.BeginObject();
    for (const auto& [name, state] : entries) {
      writer.Key(name).Raw(state);
    }
    writer.EndObject();
    state_file = writer.Take();
    state_file.push_back('\n');
  }

  SEGSYNC_RETURN_NOT_OK(FlushPending());
  fs::path target = pending_path_;
  target.replace_extension();  // drop ".tmp"
  SEGSYNC_RETURN_NOT_OK(Publish(pending_fd_, pending_path_, target));
  if (commit.state) {
    SEGSYNC_RETURN_NOT_OK(ReplaceAtomically(state_path, state_file));
  }
  return Status::Ok();
}

void JsonlDestination::AbortStream() {
  ClosePending();
  if (!pending_path_.empty()) {
    // Gone already after a commit renamed it.
    std::error_code error;
    fs::remove(pending_path_, error);
    if (error) {
      LogWarn("JSONL destination: could not remove " + pending_path_.string() + ": " +
              error.message());
    }
    pending_path_.clear();
  }
  stream_.reset();
  buffer_.clear();
}

void JsonlDestination::ClosePending() {
  if (pending_fd_ >= 0) {
    ::close(pending_fd_);
    pending_fd_ = -1;
  }
}

Status JsonlDestination::RecordRun(const RunRecord& run) {
  if (stream_) {
    return Status::Internal("a run was recorded while stream " + stream_->name + " is open");
  }
  std::error_code error;
  fs::create_directories(directory_, error);
  if (error) {
    return IoError("creating directory", directory_, error);
  }
  JsonWriter writer;
  writer.BeginObject()
      .Key("started_at")
      .String(run.started_at)
      .Key("ended_at")
      .String(run.ended_at)
      .Key("status")
      .String(run.status)
      .Key("streams");
  if (run.streams_json.empty()) {
    writer.Null();
  } else {
    writer.Raw(run.streams_json);
  }
  writer.EndObject();
  std::string line = writer.Take();
  line.push_back('\n');
  return AppendAtomically(directory_ / kRunsFile, line);
}

}  // namespace segsync
