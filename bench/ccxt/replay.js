// bench/ccxt/replay.js — the ccxt peer of bench_market (bench/run-market): the same
// cryptofeed recordings, in the same order (each venue's http file, then its ws file),
// the same number of passes, through ccxt's own order-book code: the snapshot through
// Exchange.parseOrderBook and OrderBook.reset (what watchOrderBook does with
// fetchOrderBook's answer), each depthUpdate through ccxt.pro binance's sequence rule
// (its handleOrderBook, restated here because that method needs loaded markets and a
// websocket client) and its handleOrderBookMessage (safeFloat, OrderBookSide.store).
//
// Usage: node replay.js DATA_DIR PASSES BOOKS_OUT
// Prints one line `ccxt_peer passes=N seconds=S messages=M level_updates=L ...` and
// writes every level of every book, best first, as `VENUE SYMBOL bid|ask PRICE QTY`
// with the shortest decimal of each number (the form bench_market --books writes).
import { readFileSync, writeFileSync } from 'node:fs';
import ccxt from 'ccxt';

const VENUES = ['BINANCE', 'BINANCE_US'];

function loadLines(dir, venue) {
    const text = readFileSync(`${dir}/${venue}.http.0.0`, 'utf8') + '\n' +
        readFileSync(`${dir}/${venue}.ws.1.0`, 'utf8');
    return text.split('\n');
}

// The shortest decimal of a double, never in exponent notation.
function decimal(value) {
    const text = String(value);
    if (!text.includes('e')) {
        return text;
    }
    return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

// One venue's state: ccxt order books by market id, in creation order.
function venueState(venue) {
    return { venue, exchange: new ccxt.pro.binance(), books: new Map(), levels: 0, messages: 0 };
}

// `<url> -> <epoch>: <body>`: a REST depth snapshot, the symbol from the URL.
function snapshot(state, line) {
    const arrow = line.indexOf(' -> ');
    const url = line.slice(0, arrow);
    const body = JSON.parse(line.slice(line.indexOf(': ', arrow) + 2));
    const symbol = new URL(url).searchParams.get('symbol');
    const parsed = state.exchange.parseOrderBook(body, symbol);
    parsed.nonce = body.lastUpdateId;
    let book = state.books.get(symbol);
    if (book === undefined) {
        book = state.exchange.orderBook({});
        state.books.set(symbol, book);
    }
    book.reset(parsed);
    state.levels += parsed.bids.length + parsed.asks.length;
    state.messages++;
}

// ccxt.pro binance's spot rule: drop u <= nonce; the first event after the snapshot has
// U - 1 <= nonce <= u - 1, each later one U - 1 === nonce.
function depthUpdate(state, event) {
    const book = state.books.get(event.s);
    if (book === undefined || !(event.u > book.nonce)) {
        return;
    }
    const first = book.timestamp === undefined;
    const next = first ? event.U - 1 <= book.nonce && event.u - 1 >= book.nonce
        : event.U - 1 === book.nonce;
    if (!next) {
        throw new Error(`${state.venue} ${event.s}: gap at U=${event.U} (book at ${book.nonce})`);
    }
    state.exchange.handleOrderBookMessage(undefined, event, book);
    state.levels += event.b.length + event.a.length;
}

function replayLine(state, line) {
    if (line.length === 0) {
        return;
    }
    const c = line.charCodeAt(0);
    if (c < 48 || c > 57) {
        if (line.includes(' -> ')) {
            snapshot(state, line);
        }
        return; // the websocket's open line
    }
    const colon = line.indexOf(': ');
    if (colon < 0) {
        return; // a message the recorder sent
    }
    state.messages++;
    const message = JSON.parse(line.slice(colon + 2));
    const event = message.data !== undefined ? message.data : message;
    if (event.e === 'depthUpdate') {
        depthUpdate(state, event);
    }
}

function dump(states) {
    const out = [];
    for (const state of states) {
        for (const [symbol, book] of state.books) {
            for (const [price, qty] of book.bids) {
                out.push(`${state.venue} ${symbol} bid ${decimal(price)} ${decimal(qty)}`);
            }
            for (const [price, qty] of book.asks) {
                out.push(`${state.venue} ${symbol} ask ${decimal(price)} ${decimal(qty)}`);
            }
        }
    }
    return out.join('\n') + '\n';
}

function main() {
    const [dir, passesText, booksOut] = process.argv.slice(2);
    const passes = Number.parseInt(passesText, 10);
    if (!dir || !(passes > 0) || !booksOut) {
        process.stderr.write('usage: node replay.js DATA_DIR PASSES BOOKS_OUT\n');
        process.exit(2);
    }
    const lines = VENUES.map((venue) => loadLines(dir, venue));
    const states = VENUES.map(venueState);
    const start = process.hrtime.bigint();
    for (let pass = 0; pass < passes; pass++) {
        for (let venue = 0; venue < VENUES.length; venue++) {
            for (const line of lines[venue]) {
                replayLine(states[venue], line);
            }
        }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    writeFileSync(booksOut, dump(states));
    const messages = states.reduce((sum, state) => sum + state.messages, 0);
    const levels = states.reduce((sum, state) => sum + state.levels, 0);
    process.stdout.write(`ccxt_peer passes=${passes} seconds=${seconds.toFixed(6)} ` +
        `messages=${messages} level_updates=${levels} ` +
        `messages_per_s=${Math.round(messages / seconds)} ` +
        `level_updates_per_s=${Math.round(levels / seconds)} ccxt=${ccxt.version} ` +
        `node=${process.version}\n`);
}

main();
