/* The oracle's entry points: name lookup over the generated registry, unpack and free. */
#include "ProtobufCOracle.h"

#include <string.h>

extern const ProtobufCMessageDescriptor *const oracle_descriptors[];
extern const size_t oracle_descriptor_count;

const ProtobufCMessageDescriptor *oracle_descriptor(const char *message_name)
{
    for (size_t i = 0; i < oracle_descriptor_count; i++) {
        if (strcmp(oracle_descriptors[i]->name, message_name) == 0)
            return oracle_descriptors[i];
    }
    return NULL;
}

size_t oracle_message_count(void)
{
    return oracle_descriptor_count;
}

const ProtobufCMessageDescriptor *oracle_message_at(size_t index)
{
    return index < oracle_descriptor_count ? oracle_descriptors[index] : NULL;
}

int oracle_unpack(const char *message_name, const uint8_t *data, size_t len,
                  const ProtobufCMessage **out)
{
    static const uint8_t empty[1];
    const ProtobufCMessageDescriptor *descriptor = oracle_descriptor(message_name);
    ProtobufCMessage *message;

    *out = NULL;
    if (descriptor == NULL)
        return ORACLE_UNKNOWN_MESSAGE;
    message = protobuf_c_message_unpack(descriptor, NULL, len, data != NULL ? data : empty);
    if (message == NULL)
        return ORACLE_REJECTED;
    *out = message;
    return ORACLE_ACCEPTED;
}

void oracle_free(const ProtobufCMessage *message)
{
    if (message != NULL)
        protobuf_c_message_free_unpacked((ProtobufCMessage *)message, NULL);
}

size_t oracle_strlen(const char *string)
{
    return string != NULL ? strlen(string) : 0;
}
