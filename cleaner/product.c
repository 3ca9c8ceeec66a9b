/*
 * product.c — the page's product, normalised (see product.h).
 *
 * JSON-LD and microdata are read from the same JSON trees (the record's
 * own json_ld values and microdata items, parsed by jsonread.c within its
 * bounds); the only difference is where an object keeps its type and
 * properties ("@type" and its own members, or "type" and "properties").
 * Tree walks use an explicit stack.
 */
#include "product.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FOUND_MAX 64
#define STACK_MAX 4096
#define VISITS_MAX 200000

typedef struct str {
        const char *s;
        size_t len;
} str_t;

typedef struct offer {
        char price[48];
        char currency[4];
        const char *availability;
        const char *condition;
        str_t sku;
        str_t gtin;
        str_t url;
} offer_t;

typedef struct prod {
        int found;
        const char *source;
        str_t name, brand, sku, gtin, mpn, url;
        str_t images[PRODUCT_IMAGES_MAX];
        size_t n_images;
        offer_t offers[PRODUCT_OFFERS_MAX];
        size_t n_offers;
        char rating[32];
        long long review_count; /* -1 when absent */
} prod_t;

/* ------------------------------------------------------------------ */
/* Normalising values                                                  */

static int is_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

int product_price(const char *s, size_t len, char *out, size_t size)
{
        char digits[64];
        size_t i = 0, n = 0, k, dots = 0, commas = 0, last_sep = 0, after;
        char dec = 0, last = 0;

        while (i < len && !is_digit((unsigned char)s[i]))
                i++;
        if (i >= len)
                return -1;
        /* The number: digits and the separators between them. */
        for (; i < len && n + 1 < sizeof(digits); i++) {
                unsigned char c = (unsigned char)s[i];

                if (is_digit(c) || c == '.' || c == ',') {
                        digits[n++] = (char)c;
                } else if (c == ' ' || c == '\'') {
                        continue; /* a thousands separator */
                } else if (c == 0xC2 && i + 1 < len &&
                           (unsigned char)s[i + 1] == 0xA0) {
                        i++; /* no-break space */
                } else if (c == 0xE2 && i + 2 < len &&
                           (unsigned char)s[i + 1] == 0x80 &&
                           ((unsigned char)s[i + 2] == 0xAF ||
                            (unsigned char)s[i + 2] == 0x89)) {
                        i += 2; /* narrow and thin spaces */
                } else {
                        break;
                }
        }
        while (n > 0 && !is_digit((unsigned char)digits[n - 1]))
                n--;
        for (k = 0; k < n; k++) {
                if (digits[k] == '.' || digits[k] == ',') {
                        if (digits[k] == '.')
                                dots++;
                        else
                                commas++;
                        last = digits[k];
                        last_sep = k;
                }
        }
        after = n - last_sep - 1;
        if (dots && commas)
                dec = last;
        else if (commas == 1 && after != 3)
                dec = ',';
        else if (dots == 1)
                dec = '.';
        if (dec != 0 && digits[last_sep] != dec)
                dec = 0;
        k = 0;
        {
                size_t j, o = 0, int_start;
                int seen_dec = 0;

                for (j = 0; j < n; j++) {
                        char c = digits[j];

                        if (c == '.' || c == ',') {
                                if (dec != 0 && j == last_sep) {
                                        if (o + 1 >= size)
                                                return -1;
                                        out[o++] = '.';
                                        seen_dec = 1;
                                }
                                continue;
                        }
                        if (o + 1 >= size)
                                return -1;
                        out[o++] = c;
                }
                out[o] = '\0';
                /* Leading zeros of the integer part. */
                int_start = 0;
                while (out[int_start] == '0' &&
                       is_digit((unsigned char)out[int_start + 1]))
                        int_start++;
                if (int_start > 0)
                        memmove(out, out + int_start, o - int_start + 1);
                (void)seen_dec;
        }
        return out[0] ? 0 : -1;
}

static const struct {
        const char *sym;
        const char *code;
} currency_symbols[] = {
        { "US$", "USD" },
        { "CA$", "CAD" },
        { "AU$", "AUD" },
        { "NZ$", "NZD" },
        { "HK$", "HKD" },
        { "R$", "BRL" },
        { "A$", "AUD" },
        { "C$", "CAD" },
        { "S$", "SGD" },
        { "\xE2\x82\xAC", "EUR" }, /* € */
        { "\xC2\xA3", "GBP" },     /* £ */
        { "\xC2\xA5", "JPY" },     /* ¥ */
        { "\xE2\x82\xB9", "INR" }, /* ₹ */
        { "\xE2\x82\xA9", "KRW" }, /* ₩ */
        { "\xE2\x82\xBD", "RUB" }, /* ₽ */
        { "\xE2\x82\xBA", "TRY" }, /* ₺ */
        { "\xE2\x82\xAA", "ILS" }, /* ₪ */
        { "z\xC5\x82", "PLN" },    /* zł */
        { "K\xC4\x8D", "CZK" },    /* Kč */
        { "$", "USD" },
};

static const char *const iso_codes[] = {
        "USD", "EUR", "GBP", "JPY", "CNY", "INR", "CAD", "AUD", "NZD", "CHF",
        "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "HRK", "RUB",
        "UAH", "TRY", "ILS", "AED", "SAR", "QAR", "KWD", "ZAR", "NGN", "KES",
        "EGP", "MAD", "BRL", "MXN", "ARS", "CLP", "COP", "PEN", "KRW", "HKD",
        "SGD", "TWD", "THB", "VND", "IDR", "MYR", "PHP", "PKR", "BDT", "LKR",
        "ISK", "RSD", "GEL", "KZT", NULL
};

const char *product_currency_of(const char *s, size_t len)
{
        size_t i, k;

        for (i = 0; i + 3 <= len; i++) {
                if ((i > 0 && isalpha((unsigned char)s[i - 1])) ||
                    (i + 3 < len && isalpha((unsigned char)s[i + 3])))
                        continue;
                for (k = 0; iso_codes[k] != NULL; k++)
                        if (strncasecmp(s + i, iso_codes[k], 3) == 0 &&
                            isupper((unsigned char)s[i]))
                                return iso_codes[k];
        }
        for (k = 0; k < sizeof(currency_symbols) / sizeof(currency_symbols[0]);
             k++)
                if (memmem(s, len, currency_symbols[k].sym,
                           strlen(currency_symbols[k].sym)) != NULL)
                        return currency_symbols[k].code;
        return NULL;
}

/* priceCurrency: a code as given (trimmed, upper-cased), or a symbol. */
static void set_currency(char out[4], const char *s, size_t len)
{
        const char *code;

        while (len > 0 && isspace((unsigned char)*s)) {
                s++;
                len--;
        }
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
        if (len == 3 && isalpha((unsigned char)s[0]) &&
            isalpha((unsigned char)s[1]) && isalpha((unsigned char)s[2])) {
                out[0] = (char)toupper((unsigned char)s[0]);
                out[1] = (char)toupper((unsigned char)s[1]);
                out[2] = (char)toupper((unsigned char)s[2]);
                out[3] = '\0';
                return;
        }
        code = product_currency_of(s, len);
        if (code != NULL)
                memcpy(out, code, 4);
}

/* A value's last segment (after '/', '#' or ':'), lower-cased, spaces,
 * '_' and '-' dropped, into buf. */
static void short_name(const char *s, size_t len, char *buf, size_t size)
{
        size_t i, start = 0, o = 0;

        while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
        for (i = 0; i < len; i++)
                if (s[i] == '/' || s[i] == '#' || s[i] == ':')
                        start = i + 1;
        for (i = start; i < len && o + 1 < size; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == ' ' || c == '_' || c == '-')
                        continue;
                buf[o++] = (char)tolower(c);
        }
        buf[o] = '\0';
}

const char *product_availability(const char *s, size_t len)
{
        static const struct {
                const char *key;
                const char *name;
        } names[] = {
                { "instock", "InStock" },
                { "outofstock", "OutOfStock" },
                { "oos", "OutOfStock" },
                { "preorder", "PreOrder" },
                { "presale", "PreSale" },
                { "availablefororder", "PreOrder" },
                { "backorder", "BackOrder" },
                { "discontinued", "Discontinued" },
                { "limitedavailability", "LimitedAvailability" },
                { "soldout", "SoldOut" },
                { "onlineonly", "OnlineOnly" },
                { "instoreonly", "InStoreOnly" },
                { "madetoorder", "MadeToOrder" },
                { "reserved", "Reserved" },
        };
        char buf[64];
        size_t i;

        short_name(s, len, buf, sizeof(buf));
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(buf, names[i].key) == 0)
                        return names[i].name;
        return NULL;
}

static const char *condition_of(const char *s, size_t len)
{
        static const struct {
                const char *key;
                const char *name;
        } names[] = {
                { "newcondition", "NewCondition" },
                { "new", "NewCondition" },
                { "usedcondition", "UsedCondition" },
                { "used", "UsedCondition" },
                { "refurbishedcondition", "RefurbishedCondition" },
                { "refurbished", "RefurbishedCondition" },
                { "damagedcondition", "DamagedCondition" },
                { "damaged", "DamagedCondition" },
        };
        char buf[64];
        size_t i;

        short_name(s, len, buf, sizeof(buf));
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(buf, names[i].key) == 0)
                        return names[i].name;
        return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading the trees                                                   */

static yajl_val field(yajl_val o, const char *key)
{
        size_t i;

        if (o == NULL || !YAJL_IS_OBJECT(o))
                return NULL;
        for (i = 0; i < o->u.object.len; i++)
                if (strcmp(o->u.object.keys[i], key) == 0)
                        return o->u.object.values[i];
        return NULL;
}

/* A property of a JSON-LD object (md 0) or a microdata item (md 1). */
static yajl_val prop(yajl_val o, const char *key, int md)
{
        return field(md ? field(o, "properties") : o, key);
}

static yajl_val first(yajl_val v)
{
        if (v != NULL && YAJL_IS_ARRAY(v))
                return v->u.array.len ? v->u.array.values[0] : NULL;
        return v;
}

/* A scalar's text (strings, numbers); 0 when v is neither. */
static int text(yajl_val v, str_t *out)
{
        v = first(v);
        if (v == NULL)
                return 0;
        if (YAJL_IS_STRING(v)) {
                out->s = v->u.string;
                out->len = strlen(v->u.string);
        } else if (YAJL_IS_NUMBER(v)) {
                out->s = v->u.number.r;
                out->len = strlen(v->u.number.r);
        } else {
                return 0;
        }
        while (out->len > 0 && isspace((unsigned char)out->s[0])) {
                out->s++;
                out->len--;
        }
        while (out->len > 0 && isspace((unsigned char)out->s[out->len - 1]))
                out->len--;
        return out->len > 0;
}

/* A scalar, or an object's name (brand: {"@type": "Brand", "name"}). */
static int text_or_name(yajl_val v, int md, str_t *out)
{
        v = first(v);
        if (v != NULL && YAJL_IS_OBJECT(v))
                return text(prop(v, "name", md), out);
        return text(v, out);
}

static int type_is(yajl_val o, int md, const char *const *names)
{
        yajl_val t = field(o, md ? "type" : "@type");
        size_t i, n, k;

        if (t == NULL)
                return 0;
        n = YAJL_IS_ARRAY(t) ? t->u.array.len : 1;
        for (i = 0; i < n; i++) {
                yajl_val one = YAJL_IS_ARRAY(t) ? t->u.array.values[i] : t;
                const char *s, *seg;

                if (one == NULL || !YAJL_IS_STRING(one))
                        continue;
                s = one->u.string;
                seg = s;
                for (; *s; s++)
                        if (*s == '/' || *s == '#' || *s == ':')
                                seg = s + 1;
                for (k = 0; names[k] != NULL; k++)
                        if (strcmp(seg, names[k]) == 0)
                                return 1;
        }
        return 0;
}

static const char *const product_types[] = {
        "Product",      "ProductGroup", "ProductModel", "IndividualProduct",
        "SomeProducts", "Vehicle",      "Car",          NULL
};
static const char *const aggregate_types[] = { "AggregateOffer", NULL };

int product_may_be_in(const char *text, size_t len)
{
        /* Each of product_types holds one of these. */
        return text != NULL && (memmem(text, len, "Product", 7) != NULL ||
                                memmem(text, len, "Vehicle", 7) != NULL ||
                                memmem(text, len, "Car", 3) != NULL);
}

static int skipped_key(const char *k)
{
        static const char *const keys[] = {
                "itemListElement", "isRelatedTo",
                "isSimilarTo",     "isAccessoryOrSparePartFor",
                "isConsumableFor", "hasVariant",
                "isVariantOf",     NULL
        };
        size_t i;

        for (i = 0; keys[i] != NULL; i++)
                if (strcmp(k, keys[i]) == 0)
                        return 1;
        return 0;
}

/* The product objects of the trees roots[0, n), document order, not
 * entering a product or the skipped keys. */
static size_t find_products(const yajl_val *roots, size_t n, int md,
                            yajl_val *found)
{
        yajl_val *stack = malloc(STACK_MAX * sizeof(*stack));
        size_t top = 0, n_found = 0, visits = 0, i;

        if (stack == NULL)
                return 0;
        for (i = n; i > 0 && top < STACK_MAX; i--)
                stack[top++] = roots[i - 1];
        while (top > 0 && n_found < FOUND_MAX && visits++ < VISITS_MAX) {
                yajl_val v = stack[--top];
                size_t k;

                if (v == NULL)
                        continue;
                if (YAJL_IS_OBJECT(v)) {
                        if (type_is(v, md, product_types)) {
                                found[n_found++] = v;
                                continue;
                        }
                        for (k = v->u.object.len; k > 0 && top < STACK_MAX;
                             k--)
                                if (!skipped_key(v->u.object.keys[k - 1]))
                                        stack[top++] =
                                                v->u.object.values[k - 1];
                } else if (YAJL_IS_ARRAY(v)) {
                        for (k = v->u.array.len; k > 0 && top < STACK_MAX; k--)
                                stack[top++] = v->u.array.values[k - 1];
                }
        }
        free(stack);
        return n_found;
}

static const char *const gtin_keys[] = { "gtin13", "gtin12", "gtin14",
                                         "gtin8",  "gtin",   NULL };

static void add_offer(prod_t *p, yajl_val o, int md)
{
        offer_t *of;
        yajl_val spec;
        str_t s;

        o = first(o);
        if (o == NULL || !YAJL_IS_OBJECT(o))
                return;
        if (type_is(o, md, aggregate_types)) {
                yajl_val inner = prop(o, "offers", md);
                size_t before = p->n_offers, i;

                if (p->n_offers < PRODUCT_OFFERS_MAX) {
                        of = &p->offers[p->n_offers];
                        memset(of, 0, sizeof(*of));
                        if (text(prop(o, "lowPrice", md), &s) ||
                            text(prop(o, "price", md), &s))
                                product_price(s.s, s.len, of->price,
                                              sizeof(of->price));
                        if (text(prop(o, "priceCurrency", md), &s))
                                set_currency(of->currency, s.s, s.len);
                        if (text(prop(o, "availability", md), &s))
                                of->availability =
                                        product_availability(s.s, s.len);
                        if (text(prop(o, "itemCondition", md), &s))
                                of->condition = condition_of(s.s, s.len);
                        p->n_offers++;
                }
                if (inner != NULL && YAJL_IS_ARRAY(inner)) {
                        for (i = 0; i < inner->u.array.len; i++)
                                add_offer(p, inner->u.array.values[i], md);
                } else if (inner != NULL && YAJL_IS_OBJECT(inner) &&
                           !type_is(inner, md, aggregate_types)) {
                        add_offer(p, inner, md);
                }
                (void)before;
                return;
        }
        if (p->n_offers >= PRODUCT_OFFERS_MAX)
                return;
        of = &p->offers[p->n_offers++];
        memset(of, 0, sizeof(*of));
        spec = first(prop(o, "priceSpecification", md));
        if (text(prop(o, "price", md), &s) ||
            text(prop(spec, "price", md), &s) ||
            text(prop(o, "lowPrice", md), &s)) {
                if (product_price(s.s, s.len, of->price, sizeof(of->price)) ==
                            0 &&
                    of->currency[0] == '\0') {
                        const char *c = product_currency_of(s.s, s.len);

                        if (c != NULL)
                                memcpy(of->currency, c, 4);
                }
        }
        if (text(prop(o, "priceCurrency", md), &s) ||
            text(prop(spec, "priceCurrency", md), &s))
                set_currency(of->currency, s.s, s.len);
        if (text(prop(o, "availability", md), &s))
                of->availability = product_availability(s.s, s.len);
        if (text(prop(o, "itemCondition", md), &s))
                of->condition = condition_of(s.s, s.len);
        text(prop(o, "sku", md), &of->sku);
        text(prop(o, "url", md), &of->url);
        for (size_t i = 0; gtin_keys[i] != NULL && of->gtin.len == 0; i++)
                text(prop(o, gtin_keys[i], md), &of->gtin);
}

static void add_image(prod_t *p, yajl_val v, int md)
{
        str_t s;

        if (v == NULL || p->n_images >= PRODUCT_IMAGES_MAX)
                return;
        if (YAJL_IS_OBJECT(v)) {
                if (!text(prop(v, "url", md), &s) &&
                    !text(prop(v, "contentUrl", md), &s))
                        return;
        } else if (!text(v, &s)) {
                return;
        }
        p->images[p->n_images++] = s;
}

static void read_product(prod_t *p, yajl_val o, int md, const char *source)
{
        yajl_val v, r;
        str_t s;
        size_t i;

        memset(p, 0, sizeof(*p));
        p->found = 1;
        p->source = source;
        p->review_count = -1;
        text(prop(o, "name", md), &p->name);
        text_or_name(prop(o, "brand", md), md, &p->brand);
        text(prop(o, "sku", md), &p->sku);
        for (i = 0; gtin_keys[i] != NULL && p->gtin.len == 0; i++)
                text(prop(o, gtin_keys[i], md), &p->gtin);
        text(prop(o, "mpn", md), &p->mpn);
        text(prop(o, "url", md), &p->url);
        v = prop(o, "image", md);
        if (v != NULL && YAJL_IS_ARRAY(v)) {
                for (i = 0; i < v->u.array.len; i++)
                        add_image(p, v->u.array.values[i], md);
        } else {
                add_image(p, v, md);
        }
        v = prop(o, "offers", md);
        if (v != NULL && YAJL_IS_ARRAY(v)) {
                for (i = 0; i < v->u.array.len; i++)
                        add_offer(p, v->u.array.values[i], md);
        } else {
                add_offer(p, v, md);
        }
        /* Shops often give the identifiers per offer only. */
        if (p->n_offers > 0 && p->gtin.len == 0)
                p->gtin = p->offers[0].gtin;
        if (p->n_offers > 0 && p->sku.len == 0)
                p->sku = p->offers[0].sku;
        r = first(prop(o, "aggregateRating", md));
        if (r != NULL && YAJL_IS_OBJECT(r)) {
                if (text(prop(r, "ratingValue", md), &s))
                        product_price(s.s, s.len, p->rating,
                                      sizeof(p->rating));
                if (text(prop(r, "reviewCount", md), &s) ||
                    text(prop(r, "ratingCount", md), &s)) {
                        char num[32];

                        if (product_price(s.s, s.len, num, sizeof(num)) == 0)
                                p->review_count = strtoll(num, NULL, 10);
                }
        }
}

/* One product from trees, or none (none found, or a listing). */
static void from_trees(prod_t *p, const yajl_val *roots, size_t n, int md,
                       const char *source)
{
        yajl_val found[FOUND_MAX];
        size_t n_found = find_products(roots, n, md, found), i, j,
               distinct = 0;

        memset(p, 0, sizeof(*p));
        if (n_found == 0)
                return;
        for (i = 0; i < n_found; i++) {
                str_t a = { NULL, 0 }, b = { NULL, 0 };
                int dup = 0;

                text(prop(found[i], "name", md), &a);
                for (j = 0; j < i && !dup; j++)
                        if (text(prop(found[j], "name", md), &b) &&
                            a.len == b.len && memcmp(a.s, b.s, a.len) == 0)
                                dup = 1;
                distinct += !dup;
        }
        if (distinct >= PRODUCT_MULTIPLE_MAX)
                return;
        read_product(p, found[0], md, source);
}

static int key_is(const char *k, size_t len, const char *want)
{
        return strlen(want) == len && memcmp(k, want, len) == 0;
}

static void from_og(prod_t *p, const opengraph_t *og)
{
        const char *k, *v;
        size_t kl, vl, i;
        int is_product = 0;
        offer_t of;

        memset(p, 0, sizeof(*p));
        memset(&of, 0, sizeof(of));
        if (og == NULL)
                return;
        p->review_count = -1;
        for (i = 0; opengraph_get(og, i, &k, &kl, &v, &vl) == 0; i++) {
                str_t s = { v, vl };

                if (key_is(k, kl, "og:type") &&
                    (strncmp(v, "product", vl < 7 ? vl : 7) == 0 && vl >= 7))
                        is_product = 1;
                else if (key_is(k, kl, "og:title") && !p->name.len)
                        p->name = s;
                else if (key_is(k, kl, "og:url") && !p->url.len)
                        p->url = s;
                else if (key_is(k, kl, "og:image") &&
                         p->n_images < PRODUCT_IMAGES_MAX)
                        p->images[p->n_images++] = s;
                else if ((key_is(k, kl, "product:price:amount") ||
                          key_is(k, kl, "og:price:amount")) &&
                         !of.price[0]) {
                        is_product = 1;
                        product_price(v, vl, of.price, sizeof(of.price));
                } else if ((key_is(k, kl, "product:price:currency") ||
                            key_is(k, kl, "og:price:currency")) &&
                           !of.currency[0])
                        set_currency(of.currency, v, vl);
                else if ((key_is(k, kl, "product:availability") ||
                          key_is(k, kl, "og:availability")) &&
                         !of.availability)
                        of.availability = product_availability(v, vl);
                else if (key_is(k, kl, "product:condition") && !of.condition)
                        of.condition = condition_of(v, vl);
                else if (key_is(k, kl, "product:brand") && !p->brand.len)
                        p->brand = s;
                else if (key_is(k, kl, "product:retailer_item_id") &&
                         !p->sku.len)
                        p->sku = s;
                else if ((key_is(k, kl, "product:gtin") ||
                          key_is(k, kl, "product:ean") ||
                          key_is(k, kl, "product:upc")) &&
                         !p->gtin.len)
                        p->gtin = s;
                else if (key_is(k, kl, "product:mfr_part_no") && !p->mpn.len)
                        p->mpn = s;
        }
        if (!is_product)
                return;
        p->found = 1;
        p->source = "opengraph";
        if (of.price[0] || of.currency[0] || of.availability || of.condition)
                p->offers[p->n_offers++] = of;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

#define GEN(expr)                                 \
        do {                                      \
                if ((expr) != yajl_gen_status_ok) \
                        rc = -1;                  \
        } while (0)
#define KEY(k) GEN(yajl_gen_string(gen, (const unsigned char *)(k), strlen(k)))

static int gen_str(yajl_gen gen, str_t s)
{
        if (s.len == 0)
                return yajl_gen_null(gen) == yajl_gen_status_ok ? 0 : -1;
        return yajl_gen_string(gen, (const unsigned char *)s.s, s.len) ==
                               yajl_gen_status_ok
                       ? 0
                       : -1;
}

static int gen_cstr(yajl_gen gen, const char *s)
{
        if (s == NULL || s[0] == '\0')
                return yajl_gen_null(gen) == yajl_gen_status_ok ? 0 : -1;
        return yajl_gen_string(gen, (const unsigned char *)s, strlen(s)) ==
                               yajl_gen_status_ok
                       ? 0
                       : -1;
}

static int str_eq(str_t a, str_t b)
{
        return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

/* Two decimal strings by value ("110" and "110.00" agree). */
static int price_eq(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);

        if (strchr(a, '.') != NULL) {
                while (la > 0 && a[la - 1] == '0')
                        la--;
                if (la > 0 && a[la - 1] == '.')
                        la--;
        }
        if (strchr(b, '.') != NULL) {
                while (lb > 0 && b[lb - 1] == '0')
                        lb--;
                if (lb > 0 && b[lb - 1] == '.')
                        lb--;
        }
        return la == lb && memcmp(a, b, la) == 0;
}

static const offer_t *main_offer(const prod_t *p)
{
        static const offer_t none;

        return p->n_offers ? &p->offers[0] : &none;
}

/* JSON-LD, microdata, RDFa, OpenGraph: the order they are used in. */
#define SOURCES 4

int product_write(yajl_gen gen, const product_input_t *in)
{
        prod_t *all = calloc(SOURCES, sizeof(*all));
        const prod_t *p = NULL;
        const offer_t *of;
        yajl_val md_root = in->microdata;
        size_t i, k;
        int rc = 0;

        if (all == NULL)
                return -1;
        from_trees(&all[0], in->jsonld, in->n_jsonld, 0, "json-ld");
        if (md_root != NULL)
                from_trees(&all[1], &md_root, 1, 1, "microdata");
        if (in->rdfa != NULL)
                from_trees(&all[2], &in->rdfa, 1, 1, "rdfa");
        from_og(&all[3], in->og);
        for (i = 0; i < SOURCES && p == NULL; i++)
                if (all[i].found)
                        p = &all[i];
        if (p == NULL) {
                GEN(yajl_gen_null(gen));
                free(all);
                return rc;
        }
        of = main_offer(p);
        GEN(yajl_gen_map_open(gen));
        KEY("source");
        rc |= gen_cstr(gen, p->source);
        KEY("name");
        rc |= gen_str(gen, p->name);
        KEY("brand");
        rc |= gen_str(gen, p->brand);
        KEY("sku");
        rc |= gen_str(gen, p->sku);
        KEY("gtin");
        rc |= gen_str(gen, p->gtin);
        KEY("mpn");
        rc |= gen_str(gen, p->mpn);
        KEY("url");
        rc |= gen_str(gen, p->url);
        KEY("images");
        GEN(yajl_gen_array_open(gen));
        for (i = 0; i < p->n_images; i++)
                rc |= gen_str(gen, p->images[i]);
        GEN(yajl_gen_array_close(gen));
        KEY("price");
        rc |= gen_cstr(gen, of->price);
        KEY("currency");
        rc |= gen_cstr(gen, of->currency);
        KEY("availability");
        rc |= gen_cstr(gen, of->availability);
        KEY("condition");
        rc |= gen_cstr(gen, of->condition);
        KEY("rating");
        rc |= gen_cstr(gen, p->rating);
        KEY("review_count");
        if (p->review_count >= 0)
                GEN(yajl_gen_integer(gen, p->review_count));
        else
                GEN(yajl_gen_null(gen));
        if (p->n_offers > 1) {
                KEY("offers");
                GEN(yajl_gen_array_open(gen));
                for (i = 0; i < p->n_offers; i++) {
                        const offer_t *o = &p->offers[i];

                        GEN(yajl_gen_map_open(gen));
                        KEY("price");
                        rc |= gen_cstr(gen, o->price);
                        KEY("currency");
                        rc |= gen_cstr(gen, o->currency);
                        KEY("availability");
                        rc |= gen_cstr(gen, o->availability);
                        KEY("condition");
                        rc |= gen_cstr(gen, o->condition);
                        KEY("sku");
                        rc |= gen_str(gen, o->sku);
                        KEY("url");
                        rc |= gen_str(gen, o->url);
                        GEN(yajl_gen_map_close(gen));
                }
                GEN(yajl_gen_array_close(gen));
        }
        KEY("other_sources");
        GEN(yajl_gen_array_open(gen));
        for (i = 0; i < SOURCES; i++)
                if (all[i].found && &all[i] != p)
                        rc |= gen_cstr(gen, all[i].source);
        GEN(yajl_gen_array_close(gen));
        KEY("conflicts");
        GEN(yajl_gen_array_open(gen));
        {
                int name = 0, price = 0, currency = 0, avail = 0;

                for (k = 0; k < SOURCES; k++) {
                        const prod_t *q = &all[k];
                        const offer_t *qo;

                        if (!q->found || q == p)
                                continue;
                        qo = main_offer(q);
                        if (q->name.len && p->name.len &&
                            !str_eq(q->name, p->name))
                                name = 1;
                        if (qo->price[0] && of->price[0] &&
                            !price_eq(qo->price, of->price))
                                price = 1;
                        if (qo->currency[0] && of->currency[0] &&
                            strcmp(qo->currency, of->currency) != 0)
                                currency = 1;
                        if (qo->availability && of->availability &&
                            strcmp(qo->availability, of->availability) != 0)
                                avail = 1;
                }
                if (name)
                        rc |= gen_cstr(gen, "name");
                if (price)
                        rc |= gen_cstr(gen, "price");
                if (currency)
                        rc |= gen_cstr(gen, "currency");
                if (avail)
                        rc |= gen_cstr(gen, "availability");
        }
        GEN(yajl_gen_array_close(gen));
        GEN(yajl_gen_map_close(gen));
        free(all);
        return rc ? -1 : 0;
}
