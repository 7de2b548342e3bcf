#pragma once

#include "committer.h"

#include <QList>
#include <QObject>
#include <memory>

namespace dpichat::server {

/// Lives on the storage thread and owns the Store it writes through.
class Committer::Worker : public QObject {
public:
    std::unique_ptr<Store> store;
    /// Acknowledged from the journal, oldest first, and not stored yet.
    QList<Message> acknowledged;
    bool storingFailed = false;
};

} // namespace dpichat::server
