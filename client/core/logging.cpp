#include "logging.h"

Q_LOGGING_CATEGORY(lcClientNet, "dpichat.client.net")
Q_LOGGING_CATEGORY(lcClientStore, "dpichat.client.store")
