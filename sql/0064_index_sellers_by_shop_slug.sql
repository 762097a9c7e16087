-- One shop per address: two sellers racing for the same slug cannot both get it.
CREATE UNIQUE INDEX ASYNC IF NOT EXISTS sellers_shop_slug_key ON sellers (shop_slug);
