#pragma once

#include "protocol/errors.h"

#include <QList>
#include <QString>
#include <QStringList>

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
