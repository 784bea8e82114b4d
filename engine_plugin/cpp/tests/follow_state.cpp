// Follows the shared state, driven by tests/test_cpp_core.py: connects to ENDPOINT, prints one JSON
// line {"seq", "resnapshots", "look"}, then for each line read on stdin polls the client for ~300 ms
// and prints the line again. Exits at end of input.
// Usage: follow_state ENDPOINT
#include <chrono>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <variant>

#include "vpbridge/client.hpp"

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

void report(const vpbridge::Client& client) {
  std::string look = "null";
  if (auto it = client.state().find("look"); it != client.state().end()) {
    if (const auto* s = std::get_if<std::string>(&it->second)) look = json_string(*s);
  }
  std::printf("{\"seq\": %lld, \"resnapshots\": %lld, \"look\": %s}\n", static_cast<long long>(client.state_seq()),
              static_cast<long long>(client.resnapshots()), look.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: follow_state ENDPOINT\n");
    return 2;
  }
  try {
    vpbridge::Client client;
    vpbridge::ConnectOptions opts;
    opts.name = "follow_state";
    (void)client.connect(argv[1], opts);
    report(client);
    std::string line;
    while (std::getline(std::cin, line)) {
      const auto deadline = std::chrono::steady_clock::now() + vpbridge::ms(300);
      while (std::chrono::steady_clock::now() < deadline) client.poll(vpbridge::ms(20));
      report(client);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "follow_state: %s\n", e.what());
    return 1;
  }
  return 0;
}
