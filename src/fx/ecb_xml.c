/*
 * The ECB's XML files: eurofxref-daily.xml (one day) and eurofxref-hist*.xml (many),
 * both gesmes:Envelope / Cube / Cube time=… / Cube currency=… rate=…, in the
 * eurofxref namespace. libxml2 builds the tree without network access and without
 * substituting entities (no XML_PARSE_NOENT or DTD loading: the file is data, and a
 * hostile one must not expand or fetch anything). The structure is then checked by
 * hand, so a document that parses but is not ECB data gets its own error with a line.
 * A DOCTYPE is refused outright: attribute values would get internal entities
 * substituted, and the ECB's files never carry one.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define FX_GESMES_NS "http://www.gesmes.org/xml/2002-08-01"
#define FX_EUROFXREF_NS "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"

/* Puts "line N: " before the message already in `detail`. */
static enum tpw_err at_line(struct tpw_error_detail *detail, enum tpw_err err, long line)
{
    if (detail == NULL) {
        return err;
    }
    char message[TPW_ERROR_MESSAGE_SIZE];
    (void)snprintf(message, sizeof(message), "%s", detail->message);
    return tpw_error_set(detail, err, 0, "line %ld: %s", line, message);
}

static bool named(const xmlNode *node, const char *name, const char *ns_href)
{
    return node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0 &&
           node->ns != NULL && node->ns->href != NULL &&
           strcmp((const char *)node->ns->href, ns_href) == 0;
}

/* Elements inside the envelope must be eurofxref Cubes (or gesmes' own elements). */
static enum tpw_err cube_check(const xmlNode *node, struct tpw_error_detail *detail)
{
    if (named(node, "Cube", FX_EUROFXREF_NS)) {
        return TPW_OK;
    }
    if (strcmp((const char *)node->name, "Cube") == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_XML_NAMESPACE, 0,
                             "line %ld: a Cube outside the namespace " FX_EUROFXREF_NS,
                             xmlGetLineNo(node));
    }
    return tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0, "line %ld: unexpected element '%.40s'",
                         xmlGetLineNo(node), (const char *)node->name);
}

static enum tpw_err read_rate(xmlNode *cube, struct fx_ecb_day *day,
                              struct tpw_error_detail *detail)
{
    xmlChar *currency = xmlGetNoNsProp(cube, (const xmlChar *)"currency");
    xmlChar *rate_text = xmlGetNoNsProp(cube, (const xmlChar *)"rate");
    enum tpw_err err = TPW_OK;
    struct money_rate rate = {0};
    if (currency == NULL || rate_text == NULL) {
        err = tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0,
                            "a rate's Cube needs currency and rate attributes");
    } else if (!fx__currency_valid((const char *)currency, strlen((const char *)currency))) {
        err =
            tpw_error_set(detail, TPW_ERR_FX_CURRENCY_INVALID, 0,
                          "'%.16s' is not a currency code other than EUR", (const char *)currency);
    } else {
        err =
            fx__rate_parse((const char *)rate_text, strlen((const char *)rate_text), &rate, detail);
    }
    if (err == TPW_OK) {
        err = fx__day_add(day, (const char *)currency, rate, detail);
    }
    if (err != TPW_OK && currency != NULL) {
        tpw_error_set_param(detail, (const char *)currency);
    }
    xmlFree(currency);
    xmlFree(rate_text);
    return err == TPW_OK ? TPW_OK : at_line(detail, err, xmlGetLineNo(cube));
}

static enum tpw_err read_day(xmlNode *cube, struct fx_ecb_day *day, struct tpw_error_detail *detail)
{
    memset(day, 0, sizeof(*day));
    xmlChar *time = xmlGetNoNsProp(cube, (const xmlChar *)"time");
    enum tpw_err err = TPW_OK;
    if (time == NULL) {
        err = tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0, "a day's Cube has no time");
    } else {
        err =
            fx_date_parse((const char *)time, strlen((const char *)time), &day->date_days, detail);
    }
    xmlFree(time);
    if (err != TPW_OK) {
        return at_line(detail, err, xmlGetLineNo(cube));
    }
    for (xmlNode *child = cube->children; child != NULL; child = child->next) {
        if (child->type != XML_ELEMENT_NODE) {
            continue;
        }
        err = cube_check(child, detail);
        if (err == TPW_OK) {
            err = read_rate(child, day, detail);
        }
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

/* The envelope's outer Cube: its children are the days. */
static enum tpw_err read_days(xmlNode *outer,
                              enum tpw_err (*sink)(void *, const struct fx_ecb_day *,
                                                   struct tpw_error_detail *),
                              void *context, struct tpw_error_detail *detail)
{
    struct fx_ecb_day day;
    for (xmlNode *child = outer->children; child != NULL; child = child->next) {
        if (child->type != XML_ELEMENT_NODE) {
            continue;
        }
        enum tpw_err err = cube_check(child, detail);
        if (err == TPW_OK) {
            err = read_day(child, &day, detail);
        }
        if (err == TPW_OK) {
            err = sink(context, &day, detail);
        }
        if (err != TPW_OK) {
            return err;
        }
    }
    return TPW_OK;
}

static enum tpw_err read_envelope(xmlNode *root,
                                  enum tpw_err (*sink)(void *, const struct fx_ecb_day *,
                                                       struct tpw_error_detail *),
                                  void *context, struct tpw_error_detail *detail)
{
    if (root == NULL || !named(root, "Envelope", FX_GESMES_NS)) {
        return tpw_error_set(detail, TPW_ERR_FX_XML_NAMESPACE, 0,
                             "the root element is not gesmes:Envelope (" FX_GESMES_NS ")");
    }
    xmlNode *outer = NULL;
    for (xmlNode *child = root->children; child != NULL; child = child->next) {
        if (child->type == XML_ELEMENT_NODE && strcmp((const char *)child->name, "Cube") == 0) {
            enum tpw_err err = cube_check(child, detail);
            if (err != TPW_OK) {
                return err;
            }
            if (outer != NULL) {
                return tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0,
                                     "line %ld: a second outer Cube", xmlGetLineNo(child));
            }
            outer = child;
        }
    }
    if (outer == NULL) {
        return tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0, "the envelope holds no Cube");
    }
    return read_days(outer, sink, context, detail);
}

enum tpw_err fx__ecb_xml_each_day(const char *xml, size_t xml_len,
                                  enum tpw_err (*sink)(void *context, const struct fx_ecb_day *day,
                                                       struct tpw_error_detail *detail),
                                  void *context, struct tpw_error_detail *detail)
{
    if (xml_len > FX_ECB_FILE_SIZE_MAX) {
        return tpw_error_set(detail, TPW_ERR_FX_TOO_LARGE, 0, "the XML is larger than %zu bytes",
                             FX_ECB_FILE_SIZE_MAX);
    }
    xmlParserCtxtPtr parser = xmlNewParserCtxt();
    if (parser == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for the XML parser");
    }
    xmlDocPtr document =
        xmlCtxtReadMemory(parser, xml, (int)xml_len, "ecb.xml", NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    enum tpw_err err = TPW_OK;
    if (document == NULL) {
        const xmlError *error = xmlCtxtGetLastError(parser);
        err = tpw_error_set(
            detail, TPW_ERR_FX_XML_INVALID, 0, "line %d: %.120s", error != NULL ? error->line : 0,
            error != NULL && error->message != NULL ? error->message : "not well-formed");
    } else if (document->intSubset != NULL || document->extSubset != NULL) {
        /* ECB files have no DOCTYPE; one could only declare entities to expand. */
        err = tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0,
                            "a DOCTYPE is not allowed in ECB data (entities are not expanded)");
        xmlFreeDoc(document);
    } else {
        err = read_envelope(xmlDocGetRootElement(document), sink, context, detail);
        xmlFreeDoc(document);
    }
    xmlFreeParserCtxt(parser);
    return err;
}

static enum tpw_err append_day(void *context, const struct fx_ecb_day *day,
                               struct tpw_error_detail *detail)
{
    return fx__history_append_day(context, day, detail);
}

enum tpw_err fx_ecb_xml_parse(const char *xml, size_t xml_len, fx_history **out,
                              struct tpw_error_detail *detail)
{
    *out = NULL;
    fx_history *history = fx_history_create();
    if (history == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for a history");
    }
    enum tpw_err err = fx__ecb_xml_each_day(xml, xml_len, append_day, history, detail);
    if (err == TPW_OK) {
        err = fx__history_seal(history, detail);
    }
    if (err != TPW_OK) {
        fx_history_destroy(history);
        return err;
    }
    *out = history;
    return TPW_OK;
}

/* Keeps the first day and refuses a second. */
struct one_day {
    struct fx_ecb_day *day;
    size_t days_count;
};

static enum tpw_err keep_one_day(void *context, const struct fx_ecb_day *day,
                                 struct tpw_error_detail *detail)
{
    struct one_day *one = context;
    if (one->days_count++ > 0) {
        return tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0,
                             "more than one day in what should be the daily file");
    }
    *one->day = *day;
    return TPW_OK;
}

enum tpw_err fx_ecb_xml_parse_day(const char *xml, size_t xml_len, struct fx_ecb_day *out,
                                  struct tpw_error_detail *detail)
{
    struct one_day one = {out, 0};
    enum tpw_err err = fx__ecb_xml_each_day(xml, xml_len, keep_one_day, &one, detail);
    if (err == TPW_OK && one.days_count == 0) {
        err = tpw_error_set(detail, TPW_ERR_FX_XML_INVALID, 0, "the document holds no day");
    }
    return err;
}
