#ifndef TOKEND_SERVER_CONFIG_LOAD_CONFIG_H_
#define TOKEND_SERVER_CONFIG_LOAD_CONFIG_H_

// The configuration file on disk: reading it, the environment's DSN, relative
// paths and the files it names. The schema is ParseConfig's (config.h).

#include <cstdlib>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "config/config.h"

namespace tokend::config {

// Whether LoadConfig checks the files the configuration names. `tokend
// migrate` uses only `database`, so it loads with kSkip: a migration Job can
// then run before the TLS and key Secrets exist.
enum class NamedFiles { kCheck, kSkip };

// Reads the file at `path` (at most 1 MiB), parses it like ParseConfig, lets
// TOKEND_DATABASE_DSN (read through `getenv`) replace database.dsn when it is
// set and non-empty (then the file need not name a DSN), resolves relative
// file paths against the directory of `path` (as Prometheus and kubeconfig
// do), and with kCheck checks that every file the configuration names
// (tls.*, signing_keys[*].file) is a readable regular file.
// Errors: NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT for the config
// file itself ("config file \"/etc/tokend.yaml\": no such file or
// directory"); INVALID_ARGUMENT from parsing; FAILED_PRECONDITION naming the
// key for a named file that is missing or unreadable. One line each.
absl::StatusOr<Config> LoadConfig(const std::string& path,
                                  const std::function<const char*(const char*)>& getenv = ::getenv,
                                  NamedFiles named_files = NamedFiles::kCheck);

}  // namespace tokend::config

#endif  // TOKEND_SERVER_CONFIG_LOAD_CONFIG_H_
