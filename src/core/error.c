#include "synack/error.h"

const char *synack_strerror(int err)
{
    switch (err) {
#define SK_ERR_CASE_(name, value, desc)                                                            \
    case value:                                                                                    \
        return desc;
        SYNACK_ERRORS(SK_ERR_CASE_)
#undef SK_ERR_CASE_
    default:
        return "unknown error";
    }
}

const char *synack_errname(int err)
{
    switch (err) {
#define SK_ERR_CASE_(name, value, desc)                                                            \
    case value:                                                                                    \
        return #name;
        SYNACK_ERRORS(SK_ERR_CASE_)
#undef SK_ERR_CASE_
    default:
        return "?";
    }
}
