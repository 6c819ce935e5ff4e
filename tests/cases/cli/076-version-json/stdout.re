^\{"name":"tpwallet","version":"[0-9]+\.[0-9]+\.[0-9]+","commit":"([0-9a-f]{12}|unknown)"\}$
