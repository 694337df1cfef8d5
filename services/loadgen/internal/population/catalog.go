package population

// webAgent is a browser user agent with what the collector's parser would
// derive from it.
type webAgent struct {
	ua, browser, version, os, device string
	weight                           int
}

// webAgents are current desktop and mobile browsers, weighted roughly by
// market share.
var webAgents = []webAgent{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "131.0.0.0", "Windows", "desktop", 30},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "131.0.0.0", "Mac OS X", "desktop", 8},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "Safari", "18.1", "Mac OS X", "desktop", 6},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox", "133.0", "Windows", "desktop", 5},
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge", "131.0.0.0", "Windows", "desktop", 6},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Mobile Safari", "18.1", "iOS", "mobile", 18},
	{"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36", "Chrome Mobile", "131.0.6778.39", "Android", "mobile", 14},
	{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.39 Mobile Safari/537.36", "Chrome Mobile", "131.0.6778.39", "Android", "mobile", 5},
	{"Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1", "Mobile Safari", "17.7", "iOS", "tablet", 3},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "Chrome", "130.0.0.0", "Linux", "desktop", 2},
	{"Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet", "26.0", "Android", "mobile", 2},
	{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "2.1", "", "bot", 1},
}

// appDevice is a phone running the shop app.
type appDevice struct {
	manufacturer, model, osName, osVersion, ua string
}

var appDevices = []appDevice{
	{"Apple", "iPhone15,2", "iOS", "18.1", "ShopApp/5.12.0 (iPhone; iOS 18.1; Scale/3.00)"},
	{"Apple", "iPhone14,5", "iOS", "17.6", "ShopApp/5.12.0 (iPhone; iOS 17.6; Scale/3.00)"},
	{"samsung", "SM-S918B", "Android", "14", "ShopApp/5.11.3 (Linux; Android 14; SM-S918B)"},
	{"Google", "Pixel 8", "Android", "14", "ShopApp/5.11.3 (Linux; Android 14; Pixel 8)"},
	{"Xiaomi", "2201117TY", "Android", "13", "ShopApp/5.10.0 (Linux; Android 13; 2201117TY)"},
}

// page is a page of the shop's web site.
type page struct{ path, title, category string }

var (
	entryPages = []page{
		{"/", "Home", ""}, {"/angebote", "Angebote", "Deals"}, {"/magazin/pflege-tipps", "Pflege-Tipps", "Magazine"},
		{"/kategorie/schuhe", "Schuhe", "Category"}, {"/kategorie/jacken", "Jacken", "Category"}, {"/kategorie/sport", "Sport", "Category"},
	}
	browsePages = []page{
		{"/kategorie/schuhe", "Schuhe", "Category"}, {"/kategorie/jacken", "Jacken", "Category"}, {"/kategorie/hosen", "Hosen", "Category"},
		{"/kategorie/sport", "Sport", "Category"}, {"/suche", "Suche", "Search"}, {"/marken", "Marken", "Brands"},
		{"/hilfe/versand", "Versand", "Help"}, {"/hilfe/retoure", "Retoure", "Help"}, {"/filialen", "Filialen", "Stores"},
	}
	appScreens = []string{"Home", "Search", "Category", "Product Detail", "Wishlist", "Cart", "Orders", "Account", "Loyalty Card", "Store Finder"}
	referrers  = []string{"", "", "https://www.google.com/", "https://www.google.de/", "https://www.bing.com/", "https://www.instagram.com/", "https://www.facebook.com/", "https://duckduckgo.com/"}
	campaigns  = []struct{ name, source, medium string }{
		{"fruehjahr-sale", "newsletter", "email"}, {"black-week", "google", "cpc"}, {"winback-60", "newsletter", "email"},
		{"app-install", "instagram", "social"}, {"loyalty-double-points", "push", "app"}, {"brand-search", "google", "cpc"},
	}
	locales = []struct{ locale, tz string }{
		{"de-DE", "Europe/Berlin"}, {"de-AT", "Europe/Vienna"}, {"de-CH", "Europe/Zurich"}, {"en-GB", "Europe/London"}, {"fr-FR", "Europe/Paris"},
	}
	firstNames   = []string{"Anna", "Lukas", "Marie", "Jonas", "Sophie", "Leon", "Emma", "Paul", "Mia", "Felix", "Lena", "Finn", "Laura", "Elias", "Julia", "Noah"}
	lastNames    = []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf"}
	ticketTopics = []string{"Lieferung verspätet", "Rücksendung", "Falsche Größe", "Rechnung", "Kundenkonto", "Gutschein funktioniert nicht", "Artikel beschädigt", "Vertrag kündigen"}
	comments     = []string{"", "", "", "Schnelle Lieferung, gerne wieder.", "Beratung am Telefon war super.", "Zu lange Wartezeit in der Hotline.", "Retoure unkompliziert.", "Artikel fiel kleiner aus."}
	plans        = []struct {
		name  string
		value float64
	}{{"Basic", 59}, {"Plus", 119}, {"Premium", 239}}
)

// product is an article of the shop.
type product struct {
	id, sku, name, category string
	price                   float64
}

var products = func() []product {
	names := []struct {
		name, cat string
		price     float64
	}{
		{"Laufschuh Aero", "Schuhe", 119.95}, {"Sneaker Classic", "Schuhe", 89.90}, {"Winterstiefel Nord", "Schuhe", 149.00},
		{"Regenjacke Storm", "Jacken", 179.00}, {"Daunenjacke Alpin", "Jacken", 249.00}, {"Softshell Trail", "Jacken", 129.95},
		{"Chino Slim", "Hosen", 69.95}, {"Jeans Straight", "Hosen", 79.90}, {"Trainingshose Flex", "Sport", 49.95},
		{"Funktionsshirt Dry", "Sport", 29.95}, {"Yogamatte Pro", "Sport", 39.90}, {"Rucksack Urban", "Accessoires", 59.00},
		{"Mütze Merino", "Accessoires", 24.95}, {"Socken 3er Pack", "Accessoires", 14.95}, {"Pflegespray", "Pflege", 9.95},
	}
	out := make([]product, 0, len(names))
	for i, n := range names {
		out = append(out, product{id: "p-" + itoa(1000+i), sku: "SKU-" + itoa(50000+i*7), name: n.name, category: n.cat, price: n.price})
	}
	return out
}()

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
