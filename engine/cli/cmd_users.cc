// enrol user add | passwd | disable | list: the web app's local users. A
// password is read from the terminal without echo, or as the first line of
// standard input (for scripts); never from the command line, where other
// users of the machine could see it in the process list.
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <iostream>

#include <boost/json.hpp>

#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace json = boost::json;

namespace {

std::string NowText() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The password: typed twice without echo on a terminal, else one line of stdin.
Result<std::string> ReadPassword(const std::string& prompt) {
  auto line = [](std::string& out) { return static_cast<bool>(std::getline(std::cin, out)); };
  if (!isatty(STDIN_FILENO)) {
    std::string p;
    if (!line(p)) return InvalidArgument("no password on standard input (give it as its first line)");
    if (!p.empty() && p.back() == '\r') p.pop_back();
    return p;
  }
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string a, b;
  std::cerr << prompt << ": " << std::flush;
  const bool got_a = line(a);
  std::cerr << "\n" << prompt << " again: " << std::flush;
  const bool got_b = line(b);
  std::cerr << "\n";
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  if (!got_a || !got_b) return InvalidArgument("no password given");
  if (a != b) return InvalidArgument("the two passwords differ");
  return a;
}

}  // namespace

int RunUser(const GlobalOptions& g, Services& s, const UserArgs& a) {
  auto users = s.Users();
  if (!users) return ReportError(users.error());
  if (a.action == "list") {
    auto list = (*users)->List();
    if (!list) return ReportError(list.error());
    if (g.json) {
      json::array out;
      for (const auto& u : *list) {
        json::array schools;
        for (const auto& sc : u.schools) schools.push_back(json::string(sc));
        out.push_back(json::object{{"name", u.name}, {"role", app::RoleName(u.role)}, {"schools", schools},
                                   {"disabled", u.disabled}, {"created_at", u.created_at}});
      }
      PrintJson(out);
      return 0;
    }
    for (const auto& u : *list) {
      std::string schools;
      for (const auto& sc : u.schools) schools += (schools.empty() ? "" : ",") + sc;
      std::cout << Pad(u.name, 24) << Pad(app::RoleName(u.role), 11) << Pad(schools.empty() ? "-" : schools, 20)
                << (u.disabled ? "disabled" : "active") << "\n";
    }
    std::cout << list->size() << " user(s)\n";
    return 0;
  }
  Status st;
  if (a.action == "add" || a.action == "passwd") {
    auto password = ReadPassword("password for " + a.name);
    if (!password) return ReportError(password.error());
    st = a.action == "add" ? (*users)->Add(a.name, a.role, a.schools, *password, NowText())
                           : (*users)->SetPassword(a.name, *password, NowText());
  } else {
    st = (*users)->Disable(a.name, NowText());
  }
  if (!st) return ReportError(st.error());
  if (g.json) {
    PrintJson(json::object{{"user", a.name}, {"done", a.action}});
  } else {
    std::cout << (a.action == "add" ? "added" : a.action == "passwd" ? "new password for" : "disabled") << " user "
              << a.name << "\n";
  }
  return 0;
}

}  // namespace enrol::cli
