"""Word lists for the synthetic catalogue: public-sector vocabulary in five languages.

Each language has nouns, adjectives, verbs and function words. The generator
draws from them with a Zipf-like weighting (earlier words are more frequent),
so a full-text index sees a realistic mix of very common and rare terms.
Order matters: reordering a list changes the generated file.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "it", "es")

NOUNS: dict[str, tuple[str, ...]] = {
    "en": (
        "service", "platform", "data", "citizens", "administration", "municipality", "budget", "portal",
        "registry", "process", "network", "strategy", "application", "participation", "procurement",
        "transparency", "mobility", "health", "education", "energy", "housing", "employment", "security",
        "justice", "agriculture", "culture", "migration", "interoperability", "council", "region", "city",
        "ministry", "agency", "school", "hospital", "library", "transport", "waste", "water", "climate",
        "innovation", "identity", "signature", "payment", "permit", "licence", "tax", "benefit", "pension",
        "census", "map", "sensor", "dashboard", "chatbot", "algorithm", "cloud", "archive", "workflow",
        "training", "volunteers", "neighbourhood", "accessibility", "inclusion", "youth", "elderly",
        "tourism", "heritage", "emergency", "flood", "cybersecurity", "standard", "catalogue", "ontology",
        "evaluation", "co-creation", "hackathon", "ecosystem", "partnership", "subsidy", "grant", "invoice",
        "complaint", "appointment", "vaccination", "broadband", "parking", "bicycle", "tram", "metro",
    ),
    "fr": (
        "service", "plateforme", "données", "citoyens", "administration", "commune", "budget", "portail",
        "registre", "démarche", "réseau", "stratégie", "application", "participation", "marchés",
        "transparence", "mobilité", "santé", "éducation", "énergie", "logement", "emploi", "sécurité",
        "justice", "agriculture", "culture", "migration", "interopérabilité", "conseil", "région", "ville",
        "ministère", "agence", "école", "hôpital", "bibliothèque", "transport", "déchets", "eau", "climat",
        "innovation", "identité", "signature", "paiement", "permis", "licence", "impôt", "allocation",
        "retraite", "recensement", "carte", "capteur", "tableau", "assistant", "algorithme", "nuage",
        "archives", "circuit", "formation", "bénévoles", "quartier", "accessibilité", "inclusion",
        "jeunesse", "aînés", "tourisme", "patrimoine", "urgence", "inondation", "cybersécurité", "norme",
        "catalogue", "ontologie", "évaluation", "coconstruction", "partenariat", "subvention", "facture",
        "réclamation", "rendez-vous", "vaccination", "fibre", "stationnement", "vélo", "tramway",
    ),
    "de": (
        "Dienst", "Plattform", "Daten", "Bürger", "Verwaltung", "Gemeinde", "Haushalt", "Portal",
        "Register", "Verfahren", "Netzwerk", "Strategie", "Anwendung", "Beteiligung", "Beschaffung",
        "Transparenz", "Mobilität", "Gesundheit", "Bildung", "Energie", "Wohnen", "Beschäftigung",
        "Sicherheit", "Justiz", "Landwirtschaft", "Kultur", "Migration", "Interoperabilität", "Rat",
        "Region", "Stadt", "Ministerium", "Behörde", "Schule", "Krankenhaus", "Bibliothek", "Verkehr",
        "Abfall", "Wasser", "Klima", "Innovation", "Identität", "Signatur", "Zahlung", "Genehmigung",
        "Lizenz", "Steuer", "Leistung", "Rente", "Zensus", "Karte", "Sensor", "Dashboard", "Chatbot",
        "Algorithmus", "Cloud", "Archiv", "Arbeitsablauf", "Schulung", "Ehrenamt", "Quartier",
        "Barrierefreiheit", "Inklusion", "Jugend", "Senioren", "Tourismus", "Kulturerbe", "Notfall",
        "Hochwasser", "Cybersicherheit", "Standard", "Katalog", "Ontologie", "Evaluierung", "Budget",
        "Partnerschaft", "Förderung", "Rechnung", "Beschwerde", "Termin", "Impfung", "Breitband",
        "Parken", "Fahrrad", "Straßenbahn", "Bürgeramt", "Digitalisierung", "Onlinezugang",
    ),
    "it": (
        "servizio", "piattaforma", "dati", "cittadini", "amministrazione", "comune", "bilancio", "portale",
        "registro", "procedimento", "rete", "strategia", "applicazione", "partecipazione", "appalti",
        "trasparenza", "mobilità", "salute", "istruzione", "energia", "abitazione", "lavoro", "sicurezza",
        "giustizia", "agricoltura", "cultura", "migrazione", "interoperabilità", "consiglio", "regione",
        "città", "ministero", "agenzia", "scuola", "ospedale", "biblioteca", "trasporto", "rifiuti",
        "acqua", "clima", "innovazione", "identità", "firma", "pagamento", "permesso", "licenza", "tassa",
        "sussidio", "pensione", "censimento", "mappa", "sensore", "cruscotto", "assistente", "algoritmo",
        "cloud", "archivio", "flusso", "formazione", "volontari", "quartiere", "accessibilità",
        "inclusione", "giovani", "anziani", "turismo", "patrimonio", "emergenza", "alluvione",
        "cybersicurezza", "standard", "catalogo", "ontologia", "valutazione", "coprogettazione",
        "partenariato", "contributo", "fattura", "reclamo", "prenotazione", "vaccinazione", "banda",
        "parcheggio", "bicicletta", "tram", "sportello",
    ),
    "es": (
        "servicio", "plataforma", "datos", "ciudadanía", "administración", "ayuntamiento", "presupuesto",
        "portal", "registro", "trámite", "red", "estrategia", "aplicación", "participación",
        "contratación", "transparencia", "movilidad", "salud", "educación", "energía", "vivienda",
        "empleo", "seguridad", "justicia", "agricultura", "cultura", "migración", "interoperabilidad",
        "consejo", "región", "ciudad", "ministerio", "agencia", "escuela", "hospital", "biblioteca",
        "transporte", "residuos", "agua", "clima", "innovación", "identidad", "firma", "pago", "permiso",
        "licencia", "impuesto", "ayuda", "pensión", "censo", "mapa", "sensor", "cuadro", "asistente",
        "algoritmo", "nube", "archivo", "flujo", "formación", "voluntariado", "barrio", "accesibilidad",
        "inclusión", "juventud", "mayores", "turismo", "patrimonio", "emergencia", "inundación",
        "ciberseguridad", "estándar", "catálogo", "ontología", "evaluación", "cocreación", "alianza",
        "subvención", "factura", "queja", "cita", "vacunación", "fibra", "aparcamiento", "bicicleta",
        "tranvía", "ventanilla",
    ),
}

ADJECTIVES: dict[str, tuple[str, ...]] = {
    "en": (
        "digital", "open", "public", "local", "regional", "national", "participatory", "shared", "online",
        "mobile", "smart", "green", "social", "inclusive", "secure", "transparent", "integrated",
        "cross-border", "citizen-centred", "sustainable", "collaborative", "automated", "single",
        "interoperable", "accessible", "free", "modular", "federated", "municipal", "rural", "urban",
    ),
    "fr": (
        "numérique", "ouvert", "public", "local", "régional", "national", "participatif", "partagé",
        "en ligne", "mobile", "intelligent", "vert", "social", "inclusif", "sécurisé", "transparent",
        "intégré", "transfrontalier", "simplifié", "durable", "collaboratif", "automatisé", "unique",
        "interopérable", "accessible", "libre", "modulaire", "fédéré", "municipal", "rural", "urbain",
    ),
    "de": (
        "digital", "offen", "öffentlich", "lokal", "regional", "national", "partizipativ", "gemeinsam",
        "online", "mobil", "intelligent", "grün", "sozial", "inklusiv", "sicher", "transparent",
        "integriert", "grenzüberschreitend", "bürgernah", "nachhaltig", "kollaborativ", "automatisiert",
        "einheitlich", "interoperabel", "barrierefrei", "frei", "modular", "föderiert", "kommunal",
        "ländlich", "städtisch",
    ),
    "it": (
        "digitale", "aperto", "pubblico", "locale", "regionale", "nazionale", "partecipativo", "condiviso",
        "online", "mobile", "intelligente", "verde", "sociale", "inclusivo", "sicuro", "trasparente",
        "integrato", "transfrontaliero", "semplificato", "sostenibile", "collaborativo", "automatizzato",
        "unico", "interoperabile", "accessibile", "libero", "modulare", "federato", "comunale", "rurale",
        "urbano",
    ),
    "es": (
        "digital", "abierto", "público", "local", "regional", "nacional", "participativo", "compartido",
        "en línea", "móvil", "inteligente", "verde", "social", "inclusivo", "seguro", "transparente",
        "integrado", "transfronterizo", "simplificado", "sostenible", "colaborativo", "automatizado",
        "único", "interoperable", "accesible", "libre", "modular", "federado", "municipal", "rural",
        "urbano",
    ),
}

VERBS: dict[str, tuple[str, ...]] = {
    "en": (
        "provides", "allows", "connects", "simplifies", "reduces", "improves", "publishes", "supports",
        "automates", "collects", "shares", "monitors", "replaces", "helps", "enables", "reuses",
        "measures", "involves", "trains", "integrates", "opens", "tracks", "answers", "protects",
    ),
    "fr": (
        "fournit", "permet", "relie", "simplifie", "réduit", "améliore", "publie", "soutient",
        "automatise", "collecte", "partage", "surveille", "remplace", "aide", "facilite", "réutilise",
        "mesure", "associe", "forme", "intègre", "ouvre", "suit", "répond", "protège",
    ),
    "de": (
        "bietet", "ermöglicht", "verbindet", "vereinfacht", "reduziert", "verbessert", "veröffentlicht",
        "unterstützt", "automatisiert", "sammelt", "teilt", "überwacht", "ersetzt", "hilft", "erlaubt",
        "nutzt", "misst", "beteiligt", "schult", "integriert", "öffnet", "verfolgt", "beantwortet",
        "schützt",
    ),
    "it": (
        "fornisce", "permette", "collega", "semplifica", "riduce", "migliora", "pubblica", "sostiene",
        "automatizza", "raccoglie", "condivide", "monitora", "sostituisce", "aiuta", "abilita",
        "riutilizza", "misura", "coinvolge", "forma", "integra", "apre", "traccia", "risponde",
        "protegge",
    ),
    "es": (
        "ofrece", "permite", "conecta", "simplifica", "reduce", "mejora", "publica", "apoya",
        "automatiza", "recoge", "comparte", "supervisa", "sustituye", "ayuda", "facilita", "reutiliza",
        "mide", "implica", "forma", "integra", "abre", "sigue", "responde", "protege",
    ),
}

FUNCTION_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("the", "of", "and", "for", "to", "in", "with", "a", "by", "on", "all", "more", "each", "their"),
    "fr": ("le", "la", "les", "de", "des", "et", "pour", "à", "en", "avec", "un", "une", "par", "sur", "plus"),
    "de": ("der", "die", "das", "und", "für", "mit", "von", "im", "in", "ein", "eine", "zur", "auf", "mehr"),
    "it": ("il", "la", "i", "le", "di", "e", "per", "a", "in", "con", "un", "una", "dei", "delle", "più"),
    "es": ("el", "la", "los", "las", "de", "y", "para", "a", "en", "con", "un", "una", "del", "por", "más"),
}

# Title patterns: N = noun, A = adjective; literal words are kept as they are.
TITLE_PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (("A", "N", "for", "N"), ("A", "N"), ("A", "A", "N", "of", "the", "N"), ("N", "N", "with", "A", "N")),
    "fr": (("N", "A", "pour", "la", "N"), ("N", "A"), ("N", "A", "de", "N"), ("N", "et", "N", "A")),
    "de": (("A", "N", "für", "die", "N"), ("A", "N"), ("N", "und", "A", "N"), ("N", "der", "N")),
    "it": (("N", "A", "per", "la", "N"), ("N", "A"), ("N", "A", "di", "N"), ("N", "e", "N", "A")),
    "es": (("N", "A", "para", "la", "N"), ("N", "A"), ("N", "A", "de", "N"), ("N", "y", "N", "A")),
}

# Organisation name patterns per language: {place} is a city or the country name.
ORGANISATION_PATTERNS: dict[str, tuple[str, ...]] = {
    "en": ("City of {place}", "{place} County Council", "Ministry of {N} of {country}", "{place} {N} Agency"),
    "fr": ("Ville de {place}", "Région de {place}", "Ministère {N} de {country}", "Agence {N} de {place}"),
    "de": ("Stadt {place}", "Landkreis {place}", "Bundesministerium für {N} {country}", "{N}amt {place}"),
    "it": ("Comune di {place}", "Regione di {place}", "Ministero {N} {country}", "Agenzia {N} di {place}"),
    "es": ("Ayuntamiento de {place}", "Diputación de {place}", "Ministerio de {N} de {country}", "Agencia de {N} de {place}"),
}

TECHNOLOGIES: tuple[str, ...] = (
    "PostgreSQL", "Python", "Java", "Drupal", "Ruby on Rails", "React", "Kubernetes", "CKAN", "QGIS",
    "OpenStreetMap", "eIDAS", "X-Road", "Docker", "Elasticsearch", "Moodle", "Nextcloud", "Decidim",
    "CONSUL", "FIWARE", "Linked Data", "Blockchain", "Machine learning", "LoRaWAN", "SPARQL",
)

LICENCES: tuple[str, ...] = (
    "http://publications.europa.eu/resource/authority/licence/EUPL_1_2",
    "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
    "http://publications.europa.eu/resource/authority/licence/AGPL_3_0",
    "http://publications.europa.eu/resource/authority/licence/GPL_3_0",
    "http://publications.europa.eu/resource/authority/licence/MIT",
    "http://publications.europa.eu/resource/authority/licence/CC0",
)

# EU member states (EU authority-table alpha-3), a weight (rough share of
# practices), the practice language most used there, and a few cities.
COUNTRIES: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("DEU", 14, "de", ("Berlin", "Hamburg", "München", "Köln", "Leipzig", "Bonn")),
    ("FRA", 13, "fr", ("Paris", "Lyon", "Marseille", "Lille", "Nantes", "Rennes")),
    ("ITA", 12, "it", ("Roma", "Milano", "Torino", "Bologna", "Napoli", "Firenze")),
    ("ESP", 11, "es", ("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Zaragoza")),
    ("POL", 6, "en", ("Warszawa", "Kraków", "Gdańsk", "Wrocław")),
    ("NLD", 5, "en", ("Amsterdam", "Rotterdam", "Utrecht", "Eindhoven")),
    ("BEL", 4, "fr", ("Bruxelles", "Liège", "Namur", "Charleroi")),
    ("AUT", 4, "de", ("Wien", "Graz", "Linz", "Salzburg")),
    ("PRT", 3, "en", ("Lisboa", "Porto", "Braga")),
    ("SWE", 3, "en", ("Stockholm", "Göteborg", "Malmö")),
    ("GRC", 3, "en", ("Athens", "Thessaloniki", "Patras")),
    ("CZE", 2, "en", ("Praha", "Brno", "Ostrava")),
    ("HUN", 2, "en", ("Budapest", "Debrecen", "Szeged")),
    ("ROU", 2, "en", ("București", "Cluj-Napoca", "Iași")),
    ("DNK", 2, "en", ("København", "Aarhus", "Odense")),
    ("FIN", 2, "en", ("Helsinki", "Espoo", "Tampere")),
    ("IRL", 2, "en", ("Dublin", "Cork", "Galway")),
    ("EST", 1, "en", ("Tallinn", "Tartu")),
    ("LVA", 1, "en", ("Rīga", "Daugavpils")),
    ("LTU", 1, "en", ("Vilnius", "Kaunas")),
    ("SVK", 1, "en", ("Bratislava", "Košice")),
    ("SVN", 1, "en", ("Ljubljana", "Maribor")),
    ("HRV", 1, "en", ("Zagreb", "Split")),
    ("BGR", 1, "en", ("Sofia", "Plovdiv")),
    ("LUX", 1, "fr", ("Luxembourg", "Esch-sur-Alzette")),
    ("CYP", 1, "en", ("Nicosia", "Limassol")),
    ("MLT", 1, "en", ("Valletta", "Birkirkara")),
)

# ISO alpha-2 prefix of the NUTS codes of each country (Greece is EL in NUTS).
NUTS_PREFIX: dict[str, str] = {
    "DEU": "DE", "FRA": "FR", "ITA": "IT", "ESP": "ES", "POL": "PL", "NLD": "NL", "BEL": "BE",
    "AUT": "AT", "PRT": "PT", "SWE": "SE", "GRC": "EL", "CZE": "CZ", "HUN": "HU", "ROU": "RO",
    "DNK": "DK", "FIN": "FI", "IRL": "IE", "EST": "EE", "LVA": "LV", "LTU": "LT", "SVK": "SK",
    "SVN": "SI", "HRV": "HR", "BGR": "BG", "LUX": "LU", "CYP": "CY", "MLT": "MT",
}  # fmt: skip

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Marco", "Sophie", "Jan", "Lucía", "Pierre", "Eva", "Tomás", "Giulia", "Lars", "Maria",
    "Jakub", "Inês", "Niamh", "Kristjan", "Elena", "Mateo", "Léa", "Felix", "Sara",
)
LAST_NAMES: tuple[str, ...] = (
    "Rossi", "Müller", "García", "Martin", "Nowak", "de Vries", "Silva", "Dubois", "Andersson",
    "Papadopoulos", "Novák", "Horváth", "Popescu", "Nielsen", "Virtanen", "Murphy", "Tamm", "Kovač",
)
