/*
 * The choice of message decoder of a feed, for the differential test: the streaming
 * decoder with jansson as its fallback (the default), or jansson alone (what every
 * message went through before the streaming decoder). Both must give the same books,
 * counters and log lines for every input (tests/unit/market/test_decoder_diff.c).
 */
#ifndef MARKET_FEED_DECODER_H
#define MARKET_FEED_DECODER_H

#include "tpwallet/market.h"

enum market__decoder {
    MARKET__DECODER_FAST = 0,    /* the streaming decoder, jansson for what it declines */
    MARKET__DECODER_JANSSON = 1, /* jansson for every message */
};

void market__feed_decoder_set(market_feed *feed, enum market__decoder decoder);

#endif /* MARKET_FEED_DECODER_H */
