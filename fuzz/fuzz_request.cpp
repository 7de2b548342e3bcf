// Fuzz target: the request decoder and the message text validator, i.e. everything the
// server does with a client's bytes before any access rule or store sees them.
//
// Invariants: nothing crashes or trips ASan/UBSan; a refused frame answers with a valid id
// or none; validated text is non-empty, trimmed and within the limit; whatever decodes
// encodes to a frame that decodes to the same thing (so a reply never echoes something the
// client could not have sent); a send the fast path (scanSendRequest) accepts decodes to the
// same frame through QJsonDocument.

#include "fuzzcheck.h"
#include "protocol/codec.h"
#include "protocol/limits.h"
#include "protocol/sendscanner.h"
#include "protocol/types.h"

#include <cstdint>

using namespace dpichat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    if (const auto fast = scanSendRequest(bytes)) {
        const auto general = decodeRequestInGeneral(bytes);
        const auto *frame = std::get_if<RequestFrame>(&general);
        FUZZ_CHECK(frame, "the send fast path accepted a frame the general decoder refuses");
        const auto *send = std::get_if<SendRequest>(&frame->request);
        const auto &fastSend = std::get<SendRequest>(fast->request);
        FUZZ_CHECK(send, "the send fast path accepted another request");
        FUZZ_CHECK(frame->id == fast->id && frame->id.type() == fast->id.type(),
                   "the send fast path read another id");
        FUZZ_CHECK(send->thread == fastSend.thread, "the send fast path read another thread");
        FUZZ_CHECK(send->clientId == fastSend.clientId,
                   "the send fast path read another clientId");
        FUZZ_CHECK(send->text == fastSend.text, "the send fast path read another text");
    }
    auto decoded = decodeRequest(bytes);
    if (const auto *failure = std::get_if<RequestFailure>(&decoded)) {
        FUZZ_CHECK(failure->id.isUndefined() || isValidRequestId(failure->id),
                   "a refused frame is answered with an id the client may not use");
        return 0;
    }
    const RequestFrame &frame = std::get<RequestFrame>(decoded);
    FUZZ_CHECK(frame.id.isUndefined() || isValidRequestId(frame.id), "accepted an invalid id");

    if (const auto *send = std::get_if<SendRequest>(&frame.request)) {
        const auto text = validateMessageText(send->text, limits::kTextChars);
        if (const auto *valid = std::get_if<QString>(&text)) {
            FUZZ_CHECK(!valid->isEmpty(), "empty text passed validation");
            FUZZ_CHECK(*valid == valid->trimmed(), "validated text is not trimmed");
            FUZZ_CHECK(codePointCount(*valid) <= limits::kTextChars, "text over the limit passed");
        }
    }

    const QByteArray encoded = encodeRequest(frame.request, frame.id);
    auto again = decodeRequest(QByteArrayView(encoded));
    const auto *frame2 = std::get_if<RequestFrame>(&again);
    FUZZ_CHECK(frame2, "a decoded request does not decode after encoding");
    FUZZ_CHECK(frame2->request.index() == frame.request.index(), "round trip changed the type");
    FUZZ_CHECK(frame2->id == frame.id, "round trip changed the id");
    FUZZ_CHECK(encodeRequest(frame2->request, frame2->id) == encoded, "round trip not stable");
    return 0;
}
