/*
 * POST /v1/portfolios/{id}/rebalance: placeholder while the plan is built.
 */
#include "api_int.h"

#include "banned.h"

void api_portfolio_rebalance(struct api_request *request, const char *id_text)
{
    struct api_portfolio portfolio;
    if (api_portfolio_find(request, id_text, &portfolio)) {
        api_reply_error(request, TPW_ERR_INTERNAL, NULL);
    }
}
