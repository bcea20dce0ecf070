"""Credentials the way SDKs and HTTP APIs take them: positional constructor arguments, request
headers, basic-auth tuples, tokens inside URLs.  Here the variable name says nothing about the
provider; the call does (``Client("AC...", "...")``, ``-H "X-Auth-Key: ..."``).

Each idiom returns the lines to insert and the labels on them, or None when it has no form for
the language.
"""

from __future__ import annotations

from collections.abc import Callable

import formats
from common import ALNUM, B64URL, Label, Rand, pos

Snippet = tuple[list[str], list[tuple[int, Label]]]
Idiom = Callable[[Rand, str], "Snippet | None"]


def _lines(template: str | None, values: dict[str, str], labels: list[Label]) -> Snippet | None:
    if template is None:
        return None
    lines = template.format(**values).split("\n")
    marks = []
    for label in labels:
        for i, line in enumerate(lines):
            if label.value in line:
                marks.append((i, label))
                break
    return lines, marks


def _lang(lang: str) -> str:
    return {"ts": "js", "kotlin": "java"}.get(lang, lang)


def twilio(r: Rand, lang: str) -> Snippet | None:
    sid, token = "AC" + r.hex(32), r.hex(32)
    t = {
        "python": 'from twilio.rest import Client\nclient = Client("{sid}", "{token}")',
        "js": 'const twilio = require("twilio");\nconst client = twilio("{sid}", "{token}");',
        "ruby": "  @client = Twilio::REST::Client.new('{sid}', '{token}')",
        "php": "        $twilio = new Client('{sid}', '{token}');",
        "csharp": '            TwilioClient.Init("{sid}", "{token}");',
        "java": '        Twilio.init("{sid}", "{token}");',
        "shell": "curl -X POST https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json -u {si"
        "d}:{token} "
        "--data-urlencode 'Body=deploy finished'",
    }.get(_lang(lang))
    return _lines(t, {"sid": sid, "token": token}, [pos(token, "twilio-auth-token", "messaging")])


def mailgun(r: Rand, lang: str) -> Snippet | None:
    key = formats.mailgun(r).items[0].value
    domain = f"mg.{r.choice(formats.DOMAINS_SHORT)}"
    t = {
        "python": 'requests.post("https://api.mailgun.net/v3/{domain}/messages", auth=("api", "{key}'
        '"), data=payload)',
        "js": 'const mg = mailgun.client({{ username: "api", key: "{key}" }});',
        "shell": "curl -s --user 'api:{key}' https://api.mailgun.net/v3/{domain}/messages -F to=ops@"
        "example.com",
        "ruby": "  mg_client = Mailgun::Client.new('{key}')",
        "php": "        $mg = Mailgun::create('{key}');",
        "go": '\tmg := mailgun.NewMailgun("{domain}", "{key}")',
    }.get(_lang(lang))
    return _lines(t, {"key": key, "domain": domain}, [pos(key, "mailgun-api-key", "mail")])


def datadog(r: Rand, lang: str) -> Snippet | None:
    api, app = r.hex(32), r.hex(40)
    t = {
        "python": 'from datadog import api, initialize\ninitialize(api_key="{api}", app_key="{app}")',
        "shell": 'curl -X GET "https://api.datadoghq.com/api/v1/validate" -H "DD-API-KEY: {api}" '
        '-H "DD-APPLICATION-KEY: {app}"',
        "js": 'import {{ client }} from "@datadog/datadog-api-client";\n'
        'const configuration = client.createConfiguration({{ authMethods: {{ apiKeyAuth: "{api}", '
        'appKeyAuth: "{app}" }} }});',
    }.get(_lang(lang))
    return _lines(
        t,
        {"api": api, "app": app},
        [pos(api, "datadog-api-key", "observability"), pos(app, "datadog-app-key", "observability")],
    )


def algolia(r: Rand, lang: str) -> Snippet | None:
    app, key = r.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10), r.hex(32)
    t = {
        "python": "from algoliasearch.search_client import SearchClient\n"
        'client = SearchClient.create("{app}", "{key}")',
        "php": "        $client = \\Algolia\\AlgoliaSearch\\SearchClient::create('{app}', '{key}');",
        "ruby": "  Algolia.init(application_id: '{app}', api_key: '{key}')",
    }.get(_lang(lang))
    return _lines(t, {"app": app, "key": key}, [pos(key, "algolia-admin-key", "saas")])


def stripe(r: Rand, lang: str) -> Snippet | None:
    key = "sk_live_51" + r.alnum(97)
    t = {
        "python": 'stripe.api_key = "{key}"',
        "ruby": "  Stripe.api_key = '{key}'",
        "js": 'const stripe = require("stripe")("{key}");',
        "php": "        \\Stripe\\Stripe::setApiKey('{key}');",
        "java": '        Stripe.apiKey = "{key}";',
        "csharp": '            StripeConfiguration.ApiKey = "{key}";',
        "go": '\tstripe.Key = "{key}"',
        "shell": "curl https://api.stripe.com/v1/charges -u {key}: -d amount=2000",
    }.get(_lang(lang))
    return _lines(t, {"key": key}, [pos(key, "stripe-sk-live", "payments")])


def cloudflare_global(r: Rand, lang: str) -> Snippet | None:
    key = r.hex(37)
    t = {
        "shell": 'curl -s https://api.cloudflare.com/client/v4/zones -H "X-Auth-Email: ops@example.com" '
        '-H "X-Auth-Key: {key}"',
        "python": 'cf = CloudFlare.CloudFlare(email="ops@example.com", key="{key}")',
        "js": 'headers: {{ "X-Auth-Email": "ops@example.com", "X-Auth-Key": "{key}" }},',
    }.get(_lang(lang))
    return _lines(t, {"key": key}, [pos(key, "cloudflare-global-api-key-legacy", "infra")])


def bearer_provider(r: Rand, lang: str) -> Snippet | None:
    """Provider APIs called with a bare Bearer/Token header: the host names the provider."""
    kind = r.pick(
        "heroku", "linode", "pagerduty", "okta", "splunk", "elastic", "postmark", "honeycomb", "azure-openai"
    )
    if kind == "heroku":
        v, host, header, fmt_name, fam = (
            r.uuid(),
            "api.heroku.com/apps",
            "Authorization: Bearer {v}",
            "heroku-api-key",
            "cloud",
        )
    elif kind == "linode":
        v, host, header, fmt_name, fam = (
            r.hex(64),
            "api.linode.com/v4/linode/instances",
            "Authorization: Bearer {v}",
            "linode-token",
            "cloud",
        )
    elif kind == "pagerduty":
        v, host, header, fmt_name, fam = (
            r.s(ALNUM + "_-", 20),
            "api.pagerduty.com/incidents",
            "Authorization: Token token={v}",
            "pagerduty-api-key",
            "observability",
        )
    elif kind == "okta":
        v, host, header, fmt_name, fam = (
            "00" + r.s(B64URL, 40),
            f"dev-{r.digits(8)}.okta.com/api/v1/users",
            "Authorization: SSWS {v}",
            "okta-api-token",
            "saas",
        )
    elif kind == "splunk":
        v, host, header, fmt_name, fam = (
            r.uuid(),
            "splunk.example.com:8088/services/collector/event",
            "Authorization: Splunk {v}",
            "splunk-hec-token",
            "observability",
        )
    elif kind == "elastic":
        v = formats.elastic(r).items[0].value
        host, header, fmt_name, fam = (
            "es.example.com:9243/_search",
            "Authorization: ApiKey {v}",
            "elastic-api-key",
            "observability",
        )
    elif kind == "postmark":
        v, host, header, fmt_name, fam = (
            r.uuid(),
            "api.postmarkapp.com/email",
            "X-Postmark-Server-Token: {v}",
            "postmark-server-token",
            "mail",
        )
    elif kind == "honeycomb":
        v, host, header, fmt_name, fam = (
            r.alnum(22),
            "api.honeycomb.io/1/events/prod",
            "X-Honeycomb-Team: {v}",
            "honeycomb-api-key",
            "observability",
        )
    else:
        v, host, header, fmt_name, fam = (
            r.hex(32),
            f"{r.lower_alnum(8)}.openai.azure.com/openai/deployments/gpt-4o/"
            "chat/completions?api-version=2024-06-01",
            "api-key: {v}",
            "azure-openai-api-key",
            "cloud",
        )
    name, _, value = header.format(v=v).partition(": ")
    t = {
        "shell": f'curl -s "https://{host}" -H "{name}: {value}"',
        "python": f'resp = requests.get("https://{host}", headers={{"{name}": "{value}"}})',
        "js": f'const resp = await fetch("https://{host}", {{ headers: {{ "{name}": "{value}" }} }});',
        "http": f"GET https://{host}\n{name}: {value}",
    }.get(_lang(lang))
    if t is None:
        return None
    return _lines(t.replace("{", "{{").replace("}", "}}"), {}, [pos(v, fmt_name, fam)])


def sdk_constructor(r: Rand, lang: str) -> Snippet | None:
    """A client constructed with the key as a positional or keyword argument."""
    kind = r.pick(
        "cohere",
        "mistral",
        "vault",
        "github",
        "linode",
        "heroku",
        "mailjet",
        "mailchimp",
        "postmark",
        "azure-storage",
        "elastic",
    )
    if kind == "cohere":
        v = r.alnum(40)
        t, label = (
            {
                "python": 'co = cohere.Client("{v}")',
                "js": 'const cohere = new CohereClient({{ token: "{v}" }});',
            },
            pos(v, "cohere-api-key", "ai"),
        )
    elif kind == "mistral":
        v = r.alnum(32)
        t, label = (
            {
                "python": 'client = Mistral(api_key="{v}")',
                "js": 'const client = new Mistral({{ apiKey: "{v}" }});',
            },
            pos(v, "mistral-api-key", "ai"),
        )
    elif kind == "vault":
        v = "s." + r.alnum(24)
        t, label = (
            {
                "python": 'client = hvac.Client(url="https://vault.example.com:8200", token="{v}")',
                "shell": "vault login {v}",
                "go": '\tclient.SetToken("{v}")',
            },
            pos(v, "vault-legacy", "infra"),
        )
    elif kind == "github":
        v = r.hex(40)
        t, label = (
            {
                "python": 'gh = Github("{v}")',
                "shell": "git clone https://{v}@github.com/acme/infra.git",
                "js": 'const octokit = new Octokit({{ auth: "{v}" }});',
            },
            pos(v, "github-oauth-token-legacy", "code-hosting"),
        )
    elif kind == "linode":
        v = r.hex(64)
        t, label = (
            {
                "python": 'from linode_api4 import LinodeClient\nclient = LinodeClient("{v}")',
                "go": '\tclient := linodego.NewClient(oauth2Client("{v}"))',
            },
            pos(v, "linode-token", "cloud"),
        )
    elif kind == "heroku":
        v = r.uuid()
        t, label = (
            {
                "python": 'heroku_conn = heroku3.from_key("{v}")',
                "ruby": "  heroku = PlatformAPI.connect_oauth('{v}')",
            },
            pos(v, "heroku-api-key", "cloud"),
        )
    elif kind == "mailjet":
        pub, v = r.hex(32), r.hex(32)
        t, label = (
            {
                "python": f'from mailjet_rest import Client\nmailjet = Client(auth=("{pub}", "{{v}}"'
                f'), version="v3.1")',
                "js": f'const mailjet = Mailjet.apiConnect("{pub}", "{{v}}");',
            },
            pos(v, "mailjet-secret-key", "mail"),
        )
    elif kind == "mailchimp":
        dc = f"us{r.randint(1, 21)}"
        v = f"{r.hex(32)}-{dc}"
        t, label = (
            {
                "js": f'mailchimp.setConfig({{{{ apiKey: "{{v}}", server: "{dc}" }}}});',
                "python": f'client.set_config({{{{"api_key": "{{v}}", "server": "{dc}"}}}})',
            },
            pos(v, "mailchimp-api-key", "mail"),
        )
    elif kind == "postmark":
        v = r.uuid()
        t, label = (
            {
                "js": 'const client = new postmark.ServerClient("{v}");',
                "python": 'postmark = PostmarkClient(server_token="{v}")',
                "ruby": "  client = Postmark::ApiClient.new('{v}')",
            },
            pos(v, "postmark-server-token", "mail"),
        )
    elif kind == "azure-storage":
        v = r.b64(64)
        account = r.lower_alnum(12)
        t, label = (
            {
                "python": f'service = BlobServiceClient(account_url="https://{account}.blob.core.win'
                f'dows.net", '
                'credential="{v}")',
                "csharp": f'            var credential = new StorageSharedKeyCredential("{account}",'
                f' "{{v}}");',
            },
            pos(v, "azure-storage-account-key", "cloud"),
        )
    else:
        v = formats.elastic(r).items[0].value
        t, label = (
            {
                "python": 'es = Elasticsearch("https://es.example.com:9243", api_key="{v}")',
                "js": 'const client = new Client({{ node: "https://es.example.com:9243", auth: {{ ap'
                'iKey: "{v}" }} }});',
            },
            pos(v, "elastic-api-key", "observability"),
        )
    return _lines(t.get(_lang(lang)), {"v": v}, [label])


def aws_sdk(r: Rand, lang: str) -> Snippet | None:
    b = formats.aws_pair(r)
    key_id, secret = b.items[0].value, b.items[1].value
    t = {
        "python": 's3 = boto3.client("s3", aws_access_key_id="{k}", aws_secret_access_key="{s}")',
        "java": '        AWSCredentials credentials = new BasicAWSCredentials("{k}", "{s}");',
        "go": '\tcreds := credentials.NewStaticCredentialsProvider("{k}", "{s}", "")',
        "js": 'const s3 = new S3Client({{ region: "us-east-1", credentials: {{ accessKeyId: "{k}", s'
        'ecretAccessKey: "{s}" }} }});',
        "php": "        $s3 = new S3Client(['credentials' => ['key' => '{k}', 'secret' => '{s}']]);",
        "csharp": '            var client = new AmazonS3Client("{k}", "{s}", RegionEndpoint.USEast1);',
        "ruby": "  Aws.config.update(credentials: Aws::Credentials.new('{k}', '{s}'))",
    }.get(_lang(lang))
    labels = [pos(key_id, "aws-access-key-id", "cloud"), pos(secret, "aws-secret-access-key", "cloud")]
    return _lines(t, {"k": key_id, "s": secret}, labels)


def telegram_url(r: Rand, lang: str) -> Snippet | None:
    token = formats.telegram(r).items[0].value
    t = {
        "python": 'requests.post(f"https://api.telegram.org/bot{token}/sendMessage", json={{"chat_id'
        '": chat_id, "text": text}})',
        "shell": 'curl -s "https://api.telegram.org/bot{token}/sendMessage" -d chat_id="$CHAT_ID" -d'
        ' text="done"',
        "js": "await fetch(`https://api.telegram.org/bot{token}/sendMessage?chat_id=${{chatId}}&text=ok`);",
    }.get(_lang(lang))
    return _lines(t, {"token": token}, [pos(token, "telegram-bot-token", "messaging")])


def gcp_key_url(r: Rand, lang: str) -> Snippet | None:
    key = "AIzaSy" + r.s(B64URL, 33)
    url = f"https://maps.googleapis.com/maps/api/geocode/json?address=Berlin&key={key}"
    t = {
        "python": 'resp = requests.get("{url}")',
        "shell": 'curl -s "{url}"',
        "js": 'const resp = await fetch("{url}");',
        "go": '\tresp, err := http.Get("{url}")',
    }.get(_lang(lang))
    return _lines(t, {"url": url}, [pos(key, "gcp-api-key", "cloud")])


def positional_password(r: Rand, lang: str) -> Snippet | None:
    """Passwords passed positionally to standard library calls: nothing names them but the call."""
    pw = formats.url_password(r)
    user = r.pick("admin", "app", "reports@example.com", "noreply@example.com", "svc_etl")
    host = r.choice(formats.HOSTS)
    t = r.choice(
        {
            "python": [
                'smtp.login("{user}", "{pw}")',
                'ftp.login("{user}", "{pw}")',
                'resp = requests.get(url, auth=("{user}", "{pw}"))',
                'auth = HTTPBasicAuth("{user}", "{pw}")',
                'conn = pymysql.connect(host="{host}", user="{user}", password="{pw}", database="app")',
            ],
            "java": [
                '        Connection conn = DriverManager.getConnection(JDBC_URL, "{user}", "{pw}");',
                '        return new PasswordAuthentication("{user}", "{pw}".toCharArray());',
            ],
            "go": [
                '\tauth := smtp.PlainAuth("", "{user}", "{pw}", "smtp.example.com")',
                '\tdb, err := sql.Open("mysql", "{user}:{pw}@tcp({host}:3306)/app?parseTime=true")',
            ],
            "php": [
                "        $pdo = new PDO($dsn, '{user}', '{pw}');",
                "        $conn = mysqli_connect('{host}', '{user}', '{pw}', 'app');",
            ],
            "csharp": [
                '            var credentials = new NetworkCredential("{user}", "{pw}");',
                '            smtp.Credentials = new NetworkCredential("{user}", "{pw}");',
            ],
            "ruby": [
                "  Net::SMTP.start('smtp.example.com', 587, 'example.com', '{user}', '{pw}', :login)",
                "  conn = PG.connect(host: '{host}', user: '{user}', password: '{pw}')",
            ],
            "js": [
                'const transporter = nodemailer.createTransport({{ host: "smtp.example.com", auth: {'
                '{ user: "{user}", '
                'pass: "{pw}" }} }});',
                'const pool = mysql.createPool({{ host: "{host}", user: "{user}", password: "{pw}" }});',
            ],
        }.get(_lang(lang), [None])
    )
    return _lines(t, {"user": user, "pw": pw, "host": host}, [pos(pw, "positional-password", "generic")])


IDIOMS: list[tuple[Idiom, float]] = [
    (twilio, 1),
    (mailgun, 1),
    (datadog, 1),
    (algolia, 0.6),
    (stripe, 1),
    (cloudflare_global, 0.6),
    (bearer_provider, 2.5),
    (sdk_constructor, 2.5),
    (aws_sdk, 1.5),
    (telegram_url, 0.6),
    (gcp_key_url, 0.6),
    (positional_password, 3),
]


def idiom(r: Rand, lang: str) -> Snippet | None:
    """Some provider idiom in this language (tries a few before giving up)."""
    gens, weights = zip(*IDIOMS, strict=True)
    for _ in range(6):
        snippet = r.choices(gens, weights)[0](r, lang)
        if snippet is not None and snippet[1]:
            return snippet
    return None
