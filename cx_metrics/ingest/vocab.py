"""Words, in several languages, that say what a column is about or what its values mean.

A column name is cut into tokens (``Date/Time Opened`` -> date, time, opened; ``customerId`` -> customer, id;
``Ticketnummer`` -> ticket, nummer), each token is folded to lower case without accents and mapped to a
*concept* ("create", "ticket", "id"...). Canonical fields are then described by the concepts their names use
(see :mod:`cx_metrics.ingest.infer`), so "Erstellt am", "Date d'ouverture", "Fecha de creación" and
"Date/Time Opened" all say "create + date" without any of them being listed as a synonym.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: concept -> words (folded: lower case, no accents) in English, German, French, Spanish, Italian, Portuguese, Dutch
CONCEPTS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ids", "key", "ref", "reference", "referenz", "code", "codigo", "identifiant", "identificador",
           "identifier", "uuid", "guid", "clave", "chave", "sys"),
    "number": ("number", "nr", "no", "num", "nummer", "numero", "nro", "n", "nb", "#", "nummber", "count_no"),
    "ticket": ("ticket", "tickets", "case", "cases", "incident", "incidents", "issue", "request", "requests", "call",
               "calls", "conversation", "complaint", "complaints", "reclamacao", "reclamacoes", "reclamo",
               "reclamacion", "incidencia", "demande", "demanda", "anfrage", "vorgang", "fall", "caso", "chamado",
               "solicitud", "solicitacao", "richiesta", "segnalazione", "melding", "aanvraag", "interaction",
               "contact", "inquiry", "enquiry", "query", "chat", "message", "thread", "problem", "meldung",
               "beschwerde", "plainte", "queja", "reclamo", "reclamation", "protocolo"),
    "create": ("created", "create", "creation", "creationdate", "opened", "open", "opening", "submitted", "submit",
               "received", "reported", "raised", "logged", "registered", "erstellt", "angelegt", "eroffnet",
               "eroeffnet", "erstellung", "eingang", "eingegangen", "creada", "creado", "creacion", "apertura",
               "abertura", "aberto", "ouverture", "ouvert", "cree", "creee", "aperto", "creato", "creazione",
               "ricevuto", "recu", "recue", "recibido", "recibida", "criado", "criacao", "aangemaakt", "gemeld",
               "start", "started", "begin", "registrado", "registro", "inicio", "since"),
    "date": ("date", "dates", "time", "datetime", "timestamp", "at", "on", "when", "day", "datum", "zeit",
             "zeitpunkt", "zeitstempel", "fecha", "hora", "data", "heure", "ora", "dia", "jour", "tag", "giorno",
             "horodateur", "marca", "temporal", "stamp", "tijd", "dt", "ts"),
    "solve": ("solved", "solve", "resolved", "resolve", "resolution", "fixed", "done", "geloest", "gelost",
              "erledigt", "behoben", "resuelta", "resuelto", "resolucion", "resolu", "resolue", "resolution",
              "risolto", "risoluzione", "resolvido", "resolvida", "resolucao", "solucion", "solucao", "solution",
              "opgelost", "completed", "complete"),
    "close": ("closed", "close", "closing", "geschlossen", "abgeschlossen", "cerrada", "cerrado", "cierre",
              "clos", "close", "cloture", "fermeture", "ferme", "chiuso", "chiusura", "fechado", "fechamento",
              "encerrado", "encerramento", "finalizacao", "finalizado", "gesloten", "ended", "end", "ende", "fin",
              "termine", "archived"),
    "first": ("first", "initial", "erste", "ersten", "erster", "primera", "primer", "premiere", "premier",
              "prima", "primo", "primeira", "eerste"),
    "response": ("response", "responses", "reply", "replied", "answer", "answered", "responded", "antwort",
                 "beantwortet", "reaktion", "respuesta", "reponse", "risposta", "resposta", "antwoord"),
    "update": ("updated", "update", "modified", "modification", "changed", "change", "last", "aktualisiert",
               "geandert", "geaendert", "anderung", "actualizada", "actualizado", "actualizacion", "modificacion",
               "derniere", "dernier", "mise", "aggiornato", "aggiornamento", "modificato", "atualizado",
               "atualizacao", "modificado", "bijgewerkt", "gewijzigd", "mod"),
    "status": ("status", "state", "statut", "etat", "estado", "stato", "situacao", "situacion", "zustand",
               "staat", "stage", "phase"),
    "priority": ("priority", "prio", "urgency", "severity", "prioritat", "prioritaet", "prioridad", "priorite",
                 "priorita", "prioridade", "dringlichkeit", "urgencia", "urgence", "gravite", "impact",
                 "prioriteit"),
    "channel": ("channel", "source", "origin", "via", "medium", "kanal", "quelle", "eingangskanal", "canal",
                "origen", "origine", "fonte", "origem", "kanaal", "bron", "contact_type", "media"),
    "category": ("category", "categories", "topic", "reason", "product", "products", "kategorie", "categoria",
                 "categorie", "thema", "tema", "motivo", "assunto", "sujet", "produit", "producto", "produto",
                 "prodotto", "produkt", "grund", "raison", "razon", "subcategory", "service", "theme",
                 "issue", "problema", "probleme"),
    "type": ("type", "kind", "typ", "tipo", "art", "soort", "genre"),
    "subject": ("subject", "title", "summary", "betreff", "titel", "asunto", "titre", "objet", "oggetto",
                "titulo", "resumen", "resume", "sommario", "onderwerp", "headline", "short"),
    "description": ("description", "body", "message", "narrative", "details", "detail", "text", "content",
                    "beschreibung", "nachricht", "descripcion", "descricao", "descrizione", "mensaje", "relato",
                    "report", "omschrijving", "inhalt", "contenu", "contenido"),
    "customer": ("customer", "customers", "client", "clients", "cliente", "clientes", "requester", "requestor",
                 "reporter", "caller", "contact", "account", "user", "kunde", "kunden", "kundenbenutzer",
                 "demandeur", "richiedente", "informador", "solicitante", "consumer", "consumidor",
                 "consommateur", "klant", "member", "subscriber", "person", "respondent", "buyer", "from",
                 "abonne", "utente", "usuario", "utilisateur", "benutzer"),
    "email": ("email", "mail", "correo", "courriel", "posta", "e"),
    "name": ("name", "names", "nombre", "nom", "nome", "surname", "firstname", "lastname", "vorname",
             "nachname", "apellido", "prenom", "cognome", "sobrenome", "naam", "fullname"),
    "group": ("group", "groups", "team", "queue", "department", "mailbox", "inbox", "gruppe", "grupo", "groupe",
              "equipe", "equipo", "abteilung", "departamento", "departement", "reparto", "afdeling", "pipeline",
              "assignment", "desk", "squadra", "fila", "cola", "area"),
    "assignee": ("assignee", "agent", "owner", "assigned", "technician", "resolver", "handler", "besitzer",
                 "bearbeiter", "zugewiesen", "verantwortlich", "responsable", "responsavel", "technicien",
                 "tecnico", "attribue", "assegnatario", "assegnato", "agente", "eigenaar", "operator",
                 "rep", "representative", "staff", "analyst"),
    "tags": ("tags", "tag", "labels", "label", "schlagworte", "schlagwort", "etiquetas", "etiquettes",
             "etichette", "keywords"),
    "satisfaction": ("satisfaction", "rating", "csat", "zufriedenheit", "satisfaccion", "nota", "note",
                     "avaliacao", "bewertung", "evaluation", "valoracion", "score", "punteggio", "tevredenheid"),
    "reopen": ("reopen", "reopens", "reopened", "reopening", "wiedereroffnet", "reabierto", "reouvert"),
    "replies": ("replies", "thread", "article", "articles", "interactions", "comments", "messages"),
    "count": ("count", "counts", "anzahl", "nombre", "cantidad", "quantidade", "total", "aantal"),
    "minutes": ("minutes", "minute", "min", "mins", "minuten", "minutos"),
    "hours": ("hours", "hour", "hrs", "hr", "stunden", "horas", "heures", "ore", "uren"),
    "signup": ("signup", "sign", "registration", "registered", "joined", "join", "since", "onboarding",
               "registrierung", "anmeldung", "alta", "inscription", "inscripcion", "cadastro", "iscrizione",
               "subscribed", "subscription_start", "acquired", "acquisition"),
    "churn": ("churn", "churned", "exited", "exit", "attrition", "cancelled", "canceled", "cancellation",
              "terminated", "left", "lost", "gekuendigt", "gekundigt", "kuendigung", "kundigung", "abgewandert",
              "baja", "abandono", "resilie", "resiliation", "desabono", "cancelado", "disdetta", "opgezegd",
              "retained", "retention"),
    "age": ("age", "alter", "edad", "idade", "eta", "leeftijd"),
    "birth": ("birth", "born", "birthday", "dob", "geburt", "geburtsdatum", "nacimiento", "naissance",
              "nascita", "nascimento", "yob", "birthyear"),
    "plan": ("plan", "tier", "contract", "subscription", "package", "tarif", "tariff", "vertrag", "contrato",
             "contrat", "abonnement", "abo", "forfait", "piano", "plano", "bundle", "membership", "level"),
    "segment": ("segment", "segmento", "segmentation", "cohort"),
    "region": ("region", "geography", "location", "territory", "state", "province", "regione", "provincia",
               "bundesland", "regiao", "zone", "city", "ciudad", "ville", "stadt", "zip", "postal"),
    "country": ("country", "land", "pais", "pays", "paese", "nation", "nationality"),
    "field": ("field", "property", "attribute", "feld", "campo", "champ", "column"),
    "value": ("value", "new", "to", "wert", "valor", "valeur", "valore", "waarde"),
    "actor": ("author", "actor", "by", "updater", "changer", "editor", "autor", "auteur", "user"),
    "amount": ("amount", "revenue", "total", "price", "value", "spend", "sales", "betrag", "umsatz", "importe",
               "monto", "montant", "importo", "valor", "preis", "precio", "prix", "charges", "charge", "balance"),
    "order": ("order", "orders", "purchase", "purchases", "invoice", "transaction", "payment", "login",
              "event", "bestellung", "pedido", "commande", "ordine", "compra", "achat", "kauf", "activity"),
    "tenure": ("tenure", "seniority", "months", "years", "duration", "antiguedad", "anciennete", "anzianita",
               "antiguidade", "betriebszugehorigkeit", "kundenseit"),
    "months_unit": ("months", "month", "monate", "monaten", "meses", "mois", "mesi", "maanden", "mo", "mos"),
    "years_unit": ("years", "year", "jahre", "jahren", "anos", "annees", "ans", "anni", "jaren", "yrs", "yr"),
    "question": ("question", "q", "frage", "pregunta", "pergunta", "domanda", "vraag"),
    "survey": ("survey", "respondent", "response", "responses", "umfrage", "encuesta", "enquete", "sondage",
               "pesquisa", "sondaggio", "questionnaire", "fragebogen", "feedback"),
    "sub": ("sub", "secondary", "unter", "sous"),
    "row": ("row", "rownumber", "index", "line", "zeile", "fila", "ligne", "linha", "riga", "unnamed", "seq",
            "sequence", "lfd", "laufende"),
}

_WORD_CONCEPTS: dict[str, set[str]] = {}
for _concept, _words in CONCEPTS.items():
    for _word in _words:
        _WORD_CONCEPTS.setdefault(_word, set()).add(_concept)

#: compound words (German, Dutch...) are split at these known parts: "Ticketnummer" -> ticket + nummer
_PARTS = sorted({w for w in _WORD_CONCEPTS if len(w) >= 4}, key=len, reverse=True)


def fold(text: str) -> str:
    """Lower case without accents: "Priorität" -> "prioritat", "Création" -> "creation"."""
    if text.isascii():  # nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("ß", "ss")


def tokens(name: str) -> list[str]:
    """Words of a column name: camelCase and compounds split, accents folded, "#"/"N°"/"Nº" -> "number"."""
    return list(_tokens(name))


@functools.lru_cache(maxsize=4096)
def _tokens(name: str) -> tuple[str, ...]:
    text = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)
    text = re.sub(r"\b[Nn][°ºo]\s*(?=[\s.]|$)|[Nn][°º]|#", " number ", text)
    words = [w for w in re.split(r"[^a-z0-9]+", fold(text)) if w]
    out: list[str] = []
    for word in words:
        out.extend(_split_compound(word))
    return tuple(out)


def _split_compound(word: str) -> list[str]:
    if word in _WORD_CONCEPTS or len(word) < 7:
        return [word]
    for part in _PARTS:
        if word.startswith(part) and len(word) - len(part) >= 2:
            rest = word[len(part):]
            tail = _split_compound(rest)
            if all(t in _WORD_CONCEPTS for t in tail):
                return [part, *tail]
        if word.endswith(part) and len(word) - len(part) >= 3:
            head = word[: -len(part)]
            if head in _WORD_CONCEPTS:
                return [head, part]
    return [word]


def concepts(name: str) -> set[str]:
    """The concepts a column name speaks of (stems of inflected words are tried too)."""
    return set().union(*token_concepts(name)) if name else set()


def token_concepts(name: str) -> list[set[str]]:
    """The concepts of each word of a column name, in order."""
    out: list[set[str]] = []
    for tok in tokens(name):
        hit = _WORD_CONCEPTS.get(tok)
        if hit is None and len(tok) > 4:
            # inflections: "priorities", "créées", "abiertos" -> try the word without common endings
            for cut in (1, 2, 3):
                hit = _WORD_CONCEPTS.get(tok[:-cut])
                if hit:
                    break
        out.append(set(hit or ()))
    return out


# --- values ------------------------------------------------------------------------------------------------

#: status words -> class, in several languages (folded); the first matching rule wins
STATUS_WORDS: list[tuple[str, str]] = [
    (r"^(?:new|unassigned|to do|todo|nouveau|nouvelle|neu|nuevo|nueva|nuovo|novo|nova|nieuw)$", "new"),
    (r"(?:hold|snooz|paused|en attente|wartet|warten|en espera|in attesa|aguardando|awaiting|waiting|pending|"
     r"attente|pendiente|pendente|sospeso|esperando)", "pending"),
    (r"^(?:solved|resolved|done|fixed|completed?|resolu|resolue|geloest|gelost|erledigt|resuelt[oa]|resuelto|"
     r"risolto|resolvid[oa]|opgelost|listo|hecho|finalizad[oa]|closed with .*)$", "solved"),
    (r"(?:closed|archived|clos|cerrad|chiuso|fechad|geschlossen|gesloten|encerrad|closed with)", "closed"),
    (r"(?:open|progress|active|escalat|assigned|reopen|work|offen|abiert|ouvert|aperto|abert|en cours|in "
     r"bearbeitung|en curso|in corso|em andamento|bezig|attribue|in progress)", "open"),
    (r"(?:nao resolvid|no resuelt|non resolu|nicht gelost|not resolved|unresolved)", "open"),
]
#: channel words (folded), for recognising a channel column by its values
CHANNEL_WORDS = re.compile(r"\b(?:e-?mail|mail|correo|courriel|phone|telefon|telephone|telefono|call|voice|chat|web|"
                           r"portal|form|formulaire|formulario|whatsapp|sms|social|twitter|facebook|app|api|"
                           r"self-service|walk-in|fax|letter|postal|in person|presencial|referral)s?\b", re.IGNORECASE)
#: words that mark a row as unusable rather than a ticket state
DROPPED_STATUS = ("deleted", "spam", "merged", "geloscht", "eliminado", "supprime", "excluido")

TRUE_WORDS = ("yes", "y", "true", "t", "1", "ja", "j", "si", "oui", "o", "sim", "s", "wahr", "vrai",
              "verdadero", "vero", "waar", "x", "churned", "cancelled", "canceled", "inactive", "lost", "exited",
              "left")
FALSE_WORDS = ("no", "n", "false", "f", "0", "nein", "non", "nao", "falso", "faux", "nee", "active", "retained",
               "stayed")

#: month names and abbreviations -> English abbreviation, per language (folded)
MONTHS: dict[str, list[tuple[str, str]]] = {
    "es": [("enero", "Jan"), ("febrero", "Feb"), ("marzo", "Mar"), ("abril", "Apr"), ("mayo", "May"),
           ("junio", "Jun"), ("julio", "Jul"), ("agosto", "Aug"), ("septiembre", "Sep"), ("setiembre", "Sep"),
           ("octubre", "Oct"), ("noviembre", "Nov"), ("diciembre", "Dec"), ("ene", "Jan"), ("abr", "Apr"),
           ("ago", "Aug"), ("sept", "Sep"), ("set", "Sep"), ("dic", "Dec")],
    "fr": [("janvier", "Jan"), ("fevrier", "Feb"), ("mars", "Mar"), ("avril", "Apr"), ("mai", "May"),
           ("juin", "Jun"), ("juillet", "Jul"), ("aout", "Aug"), ("septembre", "Sep"), ("octobre", "Oct"),
           ("novembre", "Nov"), ("decembre", "Dec"), ("janv", "Jan"), ("fevr", "Feb"), ("fev", "Feb"),
           ("avr", "Apr"), ("juil", "Jul"), ("sept", "Sep"), ("oct", "Oct"), ("nov", "Nov"), ("dec", "Dec")],
    "de": [("januar", "Jan"), ("februar", "Feb"), ("marz", "Mar"), ("maerz", "Mar"), ("april", "Apr"),
           ("mai", "May"), ("juni", "Jun"), ("juli", "Jul"), ("august", "Aug"), ("september", "Sep"),
           ("oktober", "Oct"), ("november", "Nov"), ("dezember", "Dec"), ("jan", "Jan"), ("feb", "Feb"),
           ("mrz", "Mar"), ("okt", "Oct"), ("dez", "Dec")],
    "it": [("gennaio", "Jan"), ("febbraio", "Feb"), ("marzo", "Mar"), ("aprile", "Apr"), ("maggio", "May"),
           ("giugno", "Jun"), ("luglio", "Jul"), ("agosto", "Aug"), ("settembre", "Sep"), ("ottobre", "Oct"),
           ("novembre", "Nov"), ("dicembre", "Dec"), ("gen", "Jan"), ("mag", "May"), ("giu", "Jun"),
           ("lug", "Jul"), ("ago", "Aug"), ("set", "Sep"), ("ott", "Oct"), ("dic", "Dec")],
    "pt": [("janeiro", "Jan"), ("fevereiro", "Feb"), ("marco", "Mar"), ("abril", "Apr"), ("maio", "May"),
           ("junho", "Jun"), ("julho", "Jul"), ("agosto", "Aug"), ("setembro", "Sep"), ("outubro", "Oct"),
           ("novembro", "Nov"), ("dezembro", "Dec"), ("fev", "Feb"), ("abr", "Apr"), ("mai", "May"),
           ("ago", "Aug"), ("set", "Sep"), ("out", "Oct"), ("dez", "Dec")],
    "nl": [("januari", "Jan"), ("februari", "Feb"), ("maart", "Mar"), ("april", "Apr"), ("mei", "May"),
           ("juni", "Jun"), ("juli", "Jul"), ("augustus", "Aug"), ("september", "Sep"), ("oktober", "Oct"),
           ("november", "Nov"), ("december", "Dec"), ("mrt", "Mar"), ("okt", "Oct")],
}

#: values that stand for "nothing here" in exports (besides blanks, NA, N/A, NULL...)
SENTINEL_RE = re.compile(r"^(?:\?+|-{1,3}|\.|\(none\)|\(blank\)|\(empty\)|<[^<>]{0,60}>|n\.?\s?a\.?|none|nil|"
                         r"unknown|unbekannt|desconocido|inconnu|sconosciuto|desconhecido|#n/?a|#ref!|#value!)$",
                         re.IGNORECASE)

#: question texts that ask for a score (NPS, CSAT, CES) in several languages
SCORE_QUESTION = re.compile(r"(recommend|recomiend|recomend|recomment|empfehl|recommand|raccomand|\bnps\b|net promoter|"
                            r"satisf|zufried|tevreden|\bcsat\b|\bces\b|effort|easy|einfach|facile|facil|likely|"
                            r"wahrscheinlich|probable|probabile)", re.IGNORECASE)
