// vpbridge C++ client: one exception root. Messages name what went wrong and how to fix it.
//
//   vpbridge::Exception (std::exception)
//    ├── DecodeError          a peer's message does not match the schema (names the field)
//    │    └── UnknownMessage  a message type this schema lacks (a newer peer): usually ignored
//    ├── RemoteError          the server answered `error` (code, message, field, hint)
//    ├── Timeout              no reply / no frame in time
//    └── TransportError       ZeroMQ failed, the stream was closed, a key file is unreadable
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace vpbridge {

class Exception : public std::exception {
 public:
  explicit Exception(std::string message) : message_(std::move(message)) {}
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

class DecodeError : public Exception {
 public:
  using Exception::Exception;
};

class UnknownMessage : public DecodeError {
 public:
  UnknownMessage(std::string_view tag, std::string_view union_name)
      : DecodeError("unknown message type '" + std::string(tag) + "' in " + std::string(union_name) +
                    " (a newer peer?)"),
        tag_(tag) {}
  [[nodiscard]] const std::string& tag() const noexcept { return tag_; }

 private:
  std::string tag_;
};

class Timeout : public Exception {
 public:
  using Exception::Exception;
};

class TransportError : public Exception {
 public:
  using Exception::Exception;
};

}  // namespace vpbridge
