// Fuzz target: the server-frame decoder, i.e. everything the client does with the bytes a
// server (or anything pretending to be one) sends it.
//
// Invariants: nothing crashes or trips ASan/UBSan; a decoded frame encodes to one that
// decodes to the same type and `re` and encodes to the same bytes again.

#include "fuzzcheck.h"
#include "protocol/codec.h"

#include <cstdint>

using namespace dpichat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const auto decoded = decodeServerFrame(bytes);
    const auto *envelope = std::get_if<ServerFrameEnvelope>(&decoded);
    if (!envelope)
        return 0;
    const QByteArray encoded = encodeServerFrame(envelope->frame, envelope->re);
    const auto again = decodeServerFrame(QByteArrayView(encoded));
    const auto *envelope2 = std::get_if<ServerFrameEnvelope>(&again);
    FUZZ_CHECK(envelope2, "a decoded server frame does not decode after encoding");
    FUZZ_CHECK(envelope2->frame.index() == envelope->frame.index(), "round trip changed the type");
    FUZZ_CHECK(envelope2->re == envelope->re, "round trip changed re");
    FUZZ_CHECK(encodeServerFrame(envelope2->frame, envelope2->re) == encoded,
               "round trip not stable");
    return 0;
}
