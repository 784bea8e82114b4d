// A tiny test harness (no dependencies): CHECK macros, registered cases run by group, and a real
// `vpbridge serve` child process started for the tests that talk to a server.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace testing {

struct Failure {
  std::string what;
};

#define CHECK(cond)                                                                                        \
  do {                                                                                                     \
    if (!(cond)) throw ::testing::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " #cond}; \
  } while (0)

#define CHECK_THROWS_AS(expr, type)                                                       \
  do {                                                                                    \
    bool thrown_ = false;                                                                 \
    try {                                                                                 \
      (void)(expr);                                                                       \
    } catch (const type&) {                                                               \
      thrown_ = true;                                                                     \
    }                                                                                     \
    if (!thrown_) throw ::testing::Failure{std::string(#expr) + " did not throw " #type}; \
  } while (0)

struct Case {
  std::string group, name;
  std::function<void()> fn;
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

struct Register {
  Register(const char* group, const char* name, std::function<void()> fn) { registry().push_back({group, name, std::move(fn)}); }
};

#define TEST_CASE(group, name)                                                \
  static void name();                                                         \
  static ::testing::Register reg_##name(group, #name, name);                  \
  static void name()

/// `vpbridge serve --port 0 ...` as a child process; endpoints read from its ready file.
class Server {
 public:
  explicit Server(std::vector<std::string> extra) {
    const char* py = std::getenv("VPBRIDGE_PYTHON");
    if (py == nullptr) throw std::runtime_error("set VPBRIDGE_PYTHON to the venv's python");
    ready_ = "/tmp/vpb-cpp-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++) + ".json";
    std::remove(ready_.c_str());
    std::vector<std::string> args = {py, "-m", "bridge.cli", "serve", "--port", "0", "--ready-file", ready_};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(ready_);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string text = ss.str();
      if (text.find('}') != std::string::npos) {
        control = field(text, "control");
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) throw std::runtime_error("vpbridge serve exited early");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("vpbridge serve did not become ready in 60 s");
  }
  ~Server() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    std::remove(ready_.c_str());
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::string control;

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  static std::string field(const std::string& json, const std::string& key) {
    const auto k = json.find("\"" + key + "\"");
    const auto q1 = json.find('"', json.find(':', k) + 1);
    return json.substr(q1 + 1, json.find('"', q1 + 1) - q1 - 1);
  }
  pid_t pid_ = -1;
  std::string ready_;
};

inline int run(int argc, char** argv) {
  const std::string group = argc > 1 ? argv[1] : "";
  int failed = 0, ran = 0;
  for (const auto& c : registry()) {
    if (!group.empty() && c.group != group) continue;
    ++ran;
    try {
      c.fn();
      std::cout << "ok   " << c.group << "/" << c.name << "\n";
    } catch (const Failure& f) {
      ++failed;
      std::cout << "FAIL " << c.group << "/" << c.name << ": " << f.what << "\n";
    } catch (const std::exception& e) {
      ++failed;
      std::cout << "FAIL " << c.group << "/" << c.name << ": exception: " << e.what() << "\n";
    }
  }
  std::cout << ran - failed << "/" << ran << " passed\n";
  return (failed == 0 && ran > 0) ? 0 : 1;
}

}  // namespace testing
