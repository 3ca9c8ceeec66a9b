/*
 * product.h — one normalised product per page, from the page's structured
 * data: JSON-LD first, else microdata, else RDFa (schema.org), else
 * OpenGraph's product namespace.
 *
 * The record's `product` is null unless the page describes a product: a
 * schema.org Product (ProductGroup, ProductModel, IndividualProduct,
 * SomeProducts, Vehicle, Car) that is not one item of a list
 * (itemListElement) or a related product (isRelatedTo, isSimilarTo,
 * isAccessoryOrSparePartFor, isConsumableFor), or an OpenGraph page of
 * og:type product / product.item, or with product:price:amount. A page
 * with products of MULTIPLE_MAX or more different names is a listing, not
 * a product page: null. Otherwise the first product found is the one:
 *
 *   source        "json-ld", "microdata", "rdfa" or "opengraph"
 *   name, brand, sku, gtin (gtin13/12/14/8/gtin), mpn, url   strings|null
 *   images        [absolute URLs as given]
 *   price         a decimal string ("1.234,56 €" -> "1234.56",
 *                 "$49.99" -> "49.99"); of the first offer, or an
 *                 AggregateOffer's lowPrice
 *   currency      ISO 4217 code (priceCurrency, else the price's symbol)
 *   availability  schema.org's short name (InStock, OutOfStock, PreOrder,
 *                 BackOrder, Discontinued, LimitedAvailability, SoldOut,
 *                 OnlineOnly, InStoreOnly) or null
 *   condition     NewCondition, UsedCondition, RefurbishedCondition,
 *                 DamagedCondition or null
 *   rating        aggregateRating.ratingValue as a decimal string
 *   review_count  aggregateRating.reviewCount (else ratingCount), integer
 *   offers        [{price, currency, availability, condition, sku, url}]
 *                 only when there are several
 *   other_sources the other syntaxes that also describe a product
 *   conflicts     the fields (name, price, currency, availability) whose
 *                 value in another source differs from the one used
 *
 * Thread-safety: no state between calls.
 */
#ifndef KCRAWL_PRODUCT_H
#define KCRAWL_PRODUCT_H

#include <stddef.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "opengraph.h"

#define PRODUCT_MULTIPLE_MAX 3 /* distinct product names: a listing */
#define PRODUCT_OFFERS_MAX 32
#define PRODUCT_IMAGES_MAX 32

typedef struct product_input {
        const yajl_val *jsonld; /* the page's JSON-LD values */
        size_t n_jsonld;
        yajl_val microdata; /* the microdata output (an array), or NULL */
        yajl_val rdfa; /* RDFa's schema.org items (rdfa_items()), or NULL */
        const opengraph_t *og; /* or NULL */
} product_input_t;

/* Writes the page's product object, or null, into gen. Returns 0, or -1
 * when gen refuses. */
int product_write(yajl_gen gen, const product_input_t *in);

/* 0 when the JSON text[0, len) (a tree product_write() would read, as
 * yajl's generator wrote it: letters never escaped) cannot hold a
 * product, for it holds no product type's name; its parse can be skipped.
 * 1 when it may. */
int product_may_be_in(const char *text, size_t len);

/* The price text s[0, len) as a decimal string into out (size bytes):
 * returns 0, or -1 when s holds no number. Exposed for the tests. */
int product_price(const char *s, size_t len, char *out, size_t size);

/* The ISO 4217 code a price's text implies by its symbol or code, or
 * NULL. */
const char *product_currency_of(const char *s, size_t len);

/* schema.org's short availability name for a value (URL, short name or
 * OpenGraph's "in stock"...), or NULL. */
const char *product_availability(const char *s, size_t len);

#endif /* KCRAWL_PRODUCT_H */
