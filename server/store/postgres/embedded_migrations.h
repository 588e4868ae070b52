#ifndef TOKEND_SERVER_STORE_POSTGRES_EMBEDDED_MIGRATIONS_H_
#define TOKEND_SERVER_STORE_POSTGRES_EMBEDDED_MIGRATIONS_H_

// The migration files, embedded at build time by embed_migrations.cmake
// (no file is read at run time). Internal to store/postgres.

#include "absl/types/span.h"

namespace tokend::store::postgres {

struct Migration {
  int version;       // from the file name's number; 1, 2, ... without gaps
  const char* name;  // the rest of the file name: "initial"
  const char* sql;   // the file's text
};

// Every migration, by increasing version.
absl::Span<const Migration> EmbeddedMigrations();

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_EMBEDDED_MIGRATIONS_H_
