// A stand-in for the rsockd binary, for testing RsockdProcess without
// depending on //rsockd. It understands the flags RsockdProcess passes and a
// few of its own:
//
//   --port_file=F --listen=A --sockd_conf=F  as rsockd (other flags ignored)
//   --fake_exit_code=N     print an error and exit N before binding
//   --fake_ignore_sigterm  ignore SIGTERM (so Stop() must escalate)
//
// It logs "fake rsockd: conf <first line of sockd.conf>", then listens,
// writes the port file, and keeps every accepted connection open (each one
// is a new descriptor) logging "fake rsockd: accepted N". SIGTERM: logs
// "fake rsockd: stopping" and exits 0.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::string FlagValue(int argc, char** argv, const std::string& name) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
  }
  return "";
}

bool HasFlag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == "--" + name) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (const std::string code = FlagValue(argc, argv, "fake_exit_code");
      !code.empty()) {
    fprintf(stderr, "fake rsockd: bad configuration\n");
    return atoi(code.c_str());
  }
  std::ifstream conf(FlagValue(argc, argv, "sockd_conf"));
  std::string first_line;
  std::getline(conf, first_line);
  fprintf(stderr, "fake rsockd: conf %s\n", first_line.c_str());

  sigset_t signals;
  sigemptyset(&signals);
  if (HasFlag(argc, argv, "fake_ignore_sigterm")) {
    signal(SIGTERM, SIG_IGN);
  } else {
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
  }
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  inet_pton(AF_INET, FlagValue(argc, argv, "listen").c_str(),
            &address.sin_addr);
  socklen_t length = sizeof(address);
  if (listener < 0 ||
      bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listener, 16) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) !=
          0) {
    perror("fake rsockd: listen");
    return 1;
  }
  {
    std::ofstream port_file(FlagValue(argc, argv, "port_file"));
    port_file << ntohs(address.sin_port) << "\n";
  }

  std::vector<int> connections;
  for (;;) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) {
      fprintf(stderr, "fake rsockd: stopping\n");
      return 0;
    }
    if (fds[0].revents != 0) {
      const int connection = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection >= 0) connections.push_back(connection);
      fprintf(stderr, "fake rsockd: accepted %zu\n", connections.size());
    }
  }
}
