/*
 * libprotobuf-c as a differential oracle for ckpt-inspect's generic decoder (tests only).
 *
 * The message code in generated/ is produced by Scripts/generate-protobuf-c.sh (protoc-c over
 * the Schema directory's .proto files), so protobuf-c decodes exactly the schema our decoder uses. Callers walk an
 * unpacked message generically through its ProtobufCMessageDescriptor; see docs/ORACLE.md.
 */
#ifndef CKPT_PROTOBUF_C_ORACLE_H
#define CKPT_PROTOBUF_C_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

/* Outcomes of oracle_unpack. */
enum {
    ORACLE_ACCEPTED = 0,        /* *out holds the message; release it with oracle_free */
    ORACLE_REJECTED = 1,        /* protobuf_c_message_unpack returned NULL */
    ORACLE_UNKNOWN_MESSAGE = -1 /* no generated descriptor has that name */
};

/* The descriptor of a message by its schema name ("vma_entry"), or NULL. */
const ProtobufCMessageDescriptor *oracle_descriptor(const char *message_name);

/* Number of message descriptors generated from the schema, and the i-th (sorted by C name). */
size_t oracle_message_count(void);
const ProtobufCMessageDescriptor *oracle_message_at(size_t index);

/* Unpacks `len` bytes as the message `message_name` with protobuf-c's default allocator. */
int oracle_unpack(const char *message_name, const uint8_t *data, size_t len,
                  const ProtobufCMessage **out);

/* Frees a message returned by oracle_unpack (NULL is ignored). */
void oracle_free(const ProtobufCMessage *message);

/* The NUL-terminated length of a string member (protobuf-c strings are C strings). */
size_t oracle_strlen(const char *string);

#endif
