#include "harness.h"
#include "../../../builder/argcheck.h"

TEST(argcheck_dev_values)
{
    ASSERT_STR_EQ(bld_argcheck_dev_value("http://localhost:3000/api"), "localhost");
    ASSERT_STR_EQ(bld_argcheck_dev_value("http://127.0.0.1:8080"), "127.0.0.1");
    ASSERT_STR_EQ(bld_argcheck_dev_value("https://api.example.com"), "example.com");
    ASSERT(bld_argcheck_dev_value("https://api.acme.io") == NULL);
    ASSERT(bld_argcheck_dev_value("") == NULL);
    ASSERT(bld_argcheck_dev_value(NULL) == NULL);
}

TEST(argcheck_baked_names_and_urls)
{
    ASSERT(bld_argcheck_baked("NEXT_PUBLIC_API_BASE", "x"));
    ASSERT(bld_argcheck_baked("VITE_BACKEND", "x"));
    ASSERT(bld_argcheck_baked("APP_PUBLIC_KEY", "x"));
    ASSERT(bld_argcheck_baked("database_url", "x"));
    ASSERT(bld_argcheck_baked("ANYTHING", "http://localhost"));
    ASSERT(!bld_argcheck_baked("NODE_ENV", "development"));
    ASSERT(!bld_argcheck_baked("BIND_ADDR", "0.0.0.0"));
}
