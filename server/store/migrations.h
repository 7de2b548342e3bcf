#pragma once

#include "protocol/errors.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <utility>

class QSqlDatabase;

namespace dpichat::server {

/// One numbered schema step: its statements run in order, in the same transaction as the
/// row that records `version` in the `schema_version` table.
struct Migration
{
    int version = 0;
    QString description;
    QStringList statements;
};

/// The schema of DPI Chat, step by step, in the SQL dialect of `driverName` ("QSQLITE",
/// "QPSQL"). Append new steps at the end; never edit a step that has shipped.
QList<Migration> schemaMigrations(const QString &driverName);

/// PostgreSQL's trigger that counts inserted messages into their threads
/// (threads.last_message_id, message_count) and their senders' cursor rows (own_after): per
/// message since step 2, per INSERT statement since step 7. On SQLite, step 4 replaced it
/// with counterStatements().
inline constexpr char16_t kCounterTrigger[] = u"messages_counted";

/// The statements of step 2 that recount what SqlStore::appendMessages and advanceReadCursor
/// keep (threads.last_message_id, message_count, owner_up_to, team_up_to; read_cursors.seen,
/// own_after) from the messages and cursors: run by the step on an existing database, and by
/// a bulk load that inserted messages itself (on PostgreSQL with kCounterTrigger disabled).
QStringList counterBackfill();

/// The two statements that count a batch of new messages in on SQLite (step 4), both in the
/// parameters' order:
/// - first, per thread: the number of new messages; then five times the newest new message's
///   id followed by, in turn, its sender, client id, body, creation time (ms) and id again;
///   then the thread's id. It adds to threads.message_count and makes the newest message the
///   thread's last unless a newer one is stored.
/// - second, per thread and sender: the thread, the sender and the number of the sender's new
///   messages in it, added to the sender's read_cursors.own_after (a row with up_to 0 is
///   made for a first message).
std::pair<QString, QString> counterStatements();

/// The version the newest step of schemaMigrations() brings a database to.
int latestSchemaVersion();

/// The version recorded in `db` (0 for an empty database).
Expected<int> schemaVersion(QSqlDatabase &db);

/// Applies the steps of `steps` above the database's version, in order, in one transaction:
/// either all of them are applied or none is. Refuses a database newer than the newest step
/// (a downgrade of the server), since old code could corrupt data it does not understand.
/// Returns the version the database is at afterwards.
Expected<int> migrate(QSqlDatabase &db, const QList<Migration> &steps);

} // namespace dpichat::server
