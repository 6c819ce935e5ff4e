/*
 * One line of a settings file: `tpwallet serve --config` (app/tpwallet/cmd_serve.c) and
 * the markets file (markets_file.c) are both `key = value` lines with `#` comment lines,
 * read by this one splitter so that spaces, comments and `=` mean the same in both.
 */
#include <string.h>

#include "tpwallet/api.h"

#include "banned.h"

static char *trim(char *text)
{
    while (*text == ' ' || *text == '\t') {
        text++;
    }
    size_t length = strlen(text);
    while (length > 0 && strchr(" \t\r\n", text[length - 1]) != NULL) {
        text[--length] = '\0';
    }
    return text;
}

bool api_settings_line(char *line, char **key, char **value)
{
    char *text = trim(line);
    *key = NULL;
    *value = text;
    if (text[0] == '\0' || text[0] == '#') {
        return false;
    }
    char *equals = strchr(text, '=');
    if (equals != NULL) {
        *equals = '\0';
        *key = trim(text);
        *value = trim(equals + 1);
    }
    return true;
}
