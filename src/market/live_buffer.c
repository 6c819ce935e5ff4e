/*
 * The messages a live source holds while it waits for its REST snapshots.
 *
 * Venues' procedures say: open the stream, buffer its events, fetch the snapshot, then
 * apply the buffered events newer than it. The buffer is a ring with two bounds
 * (messages and bytes); when full the oldest message is dropped and counted, because
 * the sequence checks will notice if what was dropped mattered (a gap, then a resync),
 * while refusing new messages would lose the newest data instead.
 */
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err market__buffer_init(struct market__buffer *buffer)
{
    memset(buffer, 0, sizeof(*buffer));
    buffer->entries = calloc(MARKET_LIVE_BUFFER_MESSAGES_MAX, sizeof(buffer->entries[0]));
    return buffer->entries != NULL ? TPW_OK : TPW_ERR_NOMEM;
}

void market__buffer_deinit(struct market__buffer *buffer)
{
    if (buffer->entries != NULL) {
        market__buffer_clear(buffer);
    }
    free(buffer->entries);
    buffer->entries = NULL;
}

static void drop_oldest(struct market__buffer *buffer)
{
    TPW_ASSERT(buffer->count > 0);
    struct market__buffered *entry = &buffer->entries[buffer->head_index];
    TPW_ASSERT(buffer->bytes >= entry->text_len);
    buffer->bytes -= entry->text_len;
    free(entry->text);
    entry->text = NULL;
    buffer->head_index = (buffer->head_index + 1) % MARKET_LIVE_BUFFER_MESSAGES_MAX;
    buffer->count--;
}

void market__buffer_clear(struct market__buffer *buffer)
{
    while (buffer->count > 0) {
        drop_oldest(buffer);
    }
    TPW_ASSERT(buffer->bytes == 0);
    buffer->head_index = 0;
}

enum tpw_err market__buffer_push(struct market__buffer *buffer, const char *text, size_t text_len,
                                 int64_t received_us)
{
    if (text_len > MARKET_LIVE_FRAME_MAX) {
        return TPW_ERR_INVALID_ARGUMENT;
    }
    char *copy = malloc(text_len + 1);
    if (copy == NULL) {
        return TPW_ERR_NOMEM;
    }
    (void)memcpy(copy, text, text_len);
    copy[text_len] = '\0';
    while (buffer->count == MARKET_LIVE_BUFFER_MESSAGES_MAX ||
           buffer->bytes + text_len > MARKET_LIVE_BUFFER_BYTES_MAX) {
        drop_oldest(buffer);
        buffer->dropped_count++;
    }
    size_t tail_index = (buffer->head_index + buffer->count) % MARKET_LIVE_BUFFER_MESSAGES_MAX;
    buffer->entries[tail_index] = (struct market__buffered){copy, text_len, received_us};
    buffer->count++;
    buffer->bytes += text_len;
    TPW_ASSERT(buffer->bytes <= MARKET_LIVE_BUFFER_BYTES_MAX);
    return TPW_OK;
}

bool market__buffer_pop(struct market__buffer *buffer, struct market__buffered *entry)
{
    if (buffer->count == 0) {
        return false;
    }
    *entry = buffer->entries[buffer->head_index];
    buffer->entries[buffer->head_index].text = NULL;
    buffer->bytes -= entry->text_len;
    buffer->head_index = (buffer->head_index + 1) % MARKET_LIVE_BUFFER_MESSAGES_MAX;
    buffer->count--;
    return true;
}
