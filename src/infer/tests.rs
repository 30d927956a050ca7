use crate::model::{
    CommandForm, CommandLine, Condition, Dependency, EnvVar, Expose, ImageFacts, Label, Port,
    Project, Protocol, Service,
};
use crate::span::{Span, Spanned};

use super::{KindInfo, ServiceKind, data, infer_all};

use ServiceKind::*;

/// Builds a service field by field; each field gets its own line so spans can be told apart.
struct B {
    s: Service,
    line: usize,
}

fn svc(name: &str) -> B {
    B {
        s: Service {
            name: name.to_string(),
            span: Span::new(0, 0, name.len(), 1, 3),
            active: true,
            ..Default::default()
        },
        line: 1,
    }
}

impl B {
    fn span(&mut self) -> Span {
        self.line += 1;
        Span::new(0, self.line * 100, self.line * 100 + 10, self.line, 5)
    }
    fn image(mut self, image: &str) -> Self {
        let span = self.span();
        self.s.image = Some(Spanned::new(image.to_string(), span));
        self
    }
    fn port(self, published: Option<&str>, target: u16) -> Self {
        self.port_full(published, target, target, None)
    }
    fn port_full(
        mut self,
        published: Option<&str>,
        target: u16,
        target_end: u16,
        app_protocol: Option<&str>,
    ) -> Self {
        let span = self.span();
        self.s.ports.push(Port {
            target,
            target_end,
            published: published.map(str::to_string),
            host_ip: None,
            protocol: Protocol::Tcp,
            app_protocol: app_protocol.map(str::to_string),
            name: None,
            span,
        });
        self
    }
    fn expose(mut self, port: u16) -> Self {
        let span = self.span();
        self.s.expose.push(Expose {
            port,
            port_end: port,
            protocol: Protocol::Tcp,
            span,
        });
        self
    }
    fn cmd(mut self, text: &str) -> Self {
        let span = self.span();
        self.s.command = Some(shell(text, span));
        self
    }
    fn cmd_exec(mut self, argv: &[&str]) -> Self {
        let span = self.span();
        self.s.command = Some(CommandLine {
            form: CommandForm::Exec(argv.iter().map(|a| a.to_string()).collect()),
            span,
        });
        self
    }
    fn entrypoint(mut self, text: &str) -> Self {
        let span = self.span();
        self.s.entrypoint = Some(shell(text, span));
        self
    }
    fn env(mut self, key: &str, value: &str) -> Self {
        let span = self.span();
        self.s.environment.push(env(key, value, span));
        self
    }
    fn label(mut self, key: &str, value: &str) -> Self {
        let span = self.span();
        self.s.labels.push(Label {
            key: key.to_string(),
            value: value.to_string(),
            span,
        });
        self
    }
    fn depends(mut self, on: &str, condition: Condition) -> Self {
        let span = self.span();
        self.s.depends_on.push(Dependency {
            service: on.to_string(),
            condition,
            required: true,
            restart: false,
            span,
        });
        self
    }
    fn restart(mut self, policy: &str) -> Self {
        let span = self.span();
        self.s.restart = Some(Spanned::new(policy.to_string(), span));
        self
    }
    /// A Dockerfile built for this service; `f` fills in what it declares.
    fn dockerfile(mut self, f: impl FnOnce(&mut ImageFacts, Span)) -> Self {
        let span = Span::new(1, 0, 10, 7, 1);
        let mut facts = ImageFacts {
            dockerfile: 1,
            ..Default::default()
        };
        f(&mut facts, span);
        self.s.dockerfile = Some(facts);
        self
    }
}

impl From<B> for Service {
    fn from(b: B) -> Service {
        b.s
    }
}

fn shell(text: &str, span: Span) -> CommandLine {
    CommandLine {
        form: CommandForm::Shell(text.to_string()),
        span,
    }
}

fn env(key: &str, value: &str, span: Span) -> EnvVar {
    EnvVar {
        key: key.to_string(),
        value: Some(value.to_string()),
        span,
    }
}

fn project(services: Vec<B>) -> Project {
    Project {
        name: "test".to_string(),
        services: services.into_iter().map(Service::from).collect(),
        ..Default::default()
    }
}

/// Infers a one-service project.
fn one(b: B) -> KindInfo {
    infer_all(&project(vec![b])).remove(0)
}

/// Infers `name` inside a project of several services.
fn within(services: Vec<B>, name: &str) -> KindInfo {
    let p = project(services);
    let i = p.services.iter().position(|s| s.name == name).unwrap();
    infer_all(&p).remove(i)
}

fn ports(k: &KindInfo) -> Vec<(u16, &str)> {
    k.served_ports
        .iter()
        .map(|p| (p.port, p.source.as_str()))
        .collect()
}

#[track_caller]
fn assert_kind(k: &KindInfo, kind: ServiceKind) {
    assert_eq!(k.kind, kind, "{k:#?}");
    assert!(k.is_assertive(), "not assertive: {k:#?}");
}

// --- knowledge -----------------------------------------------------------------------------

#[test]
fn kinds_toml_parses_and_every_regex_compiles() {
    let k = data::parse(data::SOURCE).unwrap_or_else(|e| panic!("rules/kinds.toml: {e}"));
    assert!(k.images.len() >= 20);
    assert!(k.commands.rules.len() >= 20);
    assert!(!k.names.rules.is_empty() && !k.env_ports.rules.is_empty());
    // Rule regexes compile lazily in use; compile every one here so a bad pattern fails CI.
    let patterns = k
        .commands
        .rules
        .iter()
        .map(|(re, _)| re.as_str().len())
        .chain(k.names.rules.iter().map(|(re, _)| re.as_str().len()))
        .chain(k.env_ports.rules.iter().map(|(re, _)| re.as_str().len()))
        .chain(k.env_keys.rules.iter().map(|(re, _)| re.as_str().len()));
    assert!(patterns.min().unwrap_or(0) > 0);
    assert!(k.port_flags.contains_key("--port") && k.port_flags.contains_key("--bind"));
    assert_eq!(k.scoring.assertive, 0.6);
    for name in [
        "postgres",
        "mysql",
        "mariadb",
        "mongo",
        "redis",
        "valkey",
        "memcached",
        "clickhouse-server",
        "cassandra",
        "elasticsearch",
        "opensearch",
        "influxdb",
    ] {
        let kinds: Vec<_> = k.image_rules(name).iter().filter_map(|r| r.kind).collect();
        assert_eq!(kinds, vec![Database], "{name}");
    }
    for name in [
        "rabbitmq",
        "kafka",
        "nats",
        "eclipse-mosquitto",
        "redpanda",
        "zookeeper",
    ] {
        let kinds: Vec<_> = k.image_rules(name).iter().filter_map(|r| r.kind).collect();
        assert_eq!(kinds, vec![Broker], "{name}");
    }
    for name in [
        "nginx",
        "httpd",
        "caddy",
        "traefik",
        "haproxy",
        "envoy",
        "grafana",
        "prometheus",
        "minio",
        "keycloak",
    ] {
        let kinds: Vec<_> = k.image_rules(name).iter().filter_map(|r| r.kind).collect();
        assert_eq!(kinds, vec![HttpServer], "{name}");
    }
}

#[test]
fn broken_knowledge_is_an_error_not_a_panic() {
    let broken = data::SOURCE.replacen(r"regex = '\b(uvicorn", r"regex = '(unclosed\b(uvicorn", 1);
    assert_ne!(broken, data::SOURCE);
    assert!(data::parse(&broken).is_err());
    assert!(data::parse("scoring = 1").is_err());
}

#[test]
fn kind_names_round_trip() {
    for k in ServiceKind::ALL {
        assert_eq!(k.as_str().parse::<ServiceKind>(), Ok(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
    }
    assert_eq!("WS_CLIENT".parse::<ServiceKind>(), Ok(WsClient));
    assert!("webserver".parse::<ServiceKind>().is_err());
}

// --- kinds from typical evidence -------------------------------------------------------------

#[test]
fn founding_incident_bot_is_a_ws_client() {
    let bot = svc("bot")
        .image("node:20-alpine")
        .cmd("node bot.js")
        .env("GATEWAY_URL", "ws://gateway:18789")
        .env("TELEGRAM_BOT_TOKEN", "123:abc");
    let gateway = svc("gateway")
        .image("ghcr.io/acme/gateway")
        .port(None, 18789);
    let k = within(vec![bot, gateway], "bot");
    assert_kind(&k, WsClient);
    assert!(k.confidence >= 0.75, "{}", k.confidence);
    assert!(k.listens_on_nothing());
    assert!(k.served_ports.is_empty());
    // The peer is the gateway service, with the variable's span.
    assert_eq!(k.peers.len(), 1);
    let peer = &k.peers[0];
    assert_eq!(
        (
            peer.scheme.as_deref(),
            peer.host.as_str(),
            peer.port,
            peer.service.as_deref()
        ),
        (Some("ws"), "gateway", Some(18789), Some("gateway"))
    );
    assert_eq!(peer.key.as_deref(), Some("GATEWAY_URL"));
    assert_eq!(peer.span.unwrap().line, 4);
    // The evidence names the command and the URL, never the token's value.
    let ev: Vec<_> = k
        .evidence
        .iter()
        .map(|e| (e.signal.as_str(), e.value.as_str(), e.supports))
        .collect();
    assert!(ev.contains(&("command", "bot.js", WsClient)), "{ev:?}");
    assert!(
        ev.contains(&("environment", "GATEWAY_URL=ws://gateway:18789", WsClient)),
        "{ev:?}"
    );
    assert!(!k.evidence.iter().any(|e| e.value.contains("abc")));
    let cmd = k.evidence.iter().find(|e| e.signal == "command").unwrap();
    assert_eq!(cmd.span.unwrap().line, 3);
    assert!(k.peer_services().eq(["gateway"]));
}

#[test]
fn ws_server_with_command_mentioning_websocket() {
    let k = one(svc("gateway").expose(8080).cmd("node dist/ws-server.js"));
    assert_kind(&k, WsServer);
    assert_eq!(ports(&k), vec![(8080, "expose")]);
    assert!(k.speaks_http);
}

#[test]
fn ws_server_with_separate_health_port_records_both() {
    let k = one(svc("realtime")
        .port(Some("8080"), 8080)
        .port(Some("8081"), 8081)
        .cmd("node server.js --ws-port 8080 --health-port 8081"));
    assert_kind(&k, WsServer);
    let got: Vec<_> = k
        .served_ports
        .iter()
        .map(|p| (p.port, p.source.as_str(), p.protocol.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![(8080, "ports", Some("ws")), (8081, "ports", Some("http"))]
    );

    // The same with the ports named only by variables; the socket port is inferred as the one
    // that is not the health port.
    let k = one(svc("realtime")
        .port(None, 8080)
        .port(None, 8081)
        .cmd("node websocket-gateway.js")
        .env("HEALTH_PORT", "8081"));
    assert_kind(&k, WsServer);
    assert_eq!(k.served(8080).unwrap().protocol.as_deref(), Some("ws"));
    assert_eq!(k.served(8081).unwrap().protocol.as_deref(), Some("http"));
}

#[test]
fn http_server_from_web_command_and_port() {
    let k = one(svc("api")
        .port(Some("8000"), 8000)
        .cmd("uvicorn app.main:app --host 0.0.0.0 --port 8000"));
    assert_kind(&k, HttpServer);
    assert_eq!(ports(&k), vec![(8000, "ports")]);
    assert!(k.evidence.iter().any(|e| e.value == "uvicorn"));

    for cmd in [
        "gunicorn -b 0.0.0.0:5000 app:app",
        "flask run --host=0.0.0.0 --port=5000",
        "bundle exec rails s -b 0.0.0.0 -p 3000",
        "bundle exec puma -C config/puma.rb",
        "npx next start -p 3000",
        "java -jar /app/app.jar",
        "node server.js",
        "python manage.py runserver 0.0.0.0:8000",
    ] {
        let k = one(svc("svc").cmd(cmd).expose(3000));
        assert_kind(&k, HttpServer);
    }
}

#[test]
fn http_server_from_image() {
    assert_kind(&one(svc("proxy").image("nginx:1.27-alpine")), HttpServer);
    assert_kind(&one(svc("edge").image("traefik:v3.1")), HttpServer);
    assert_kind(
        &one(svc("auth").image("quay.io/keycloak/keycloak:25.0")),
        HttpServer,
    );
}

#[test]
fn grpc_server() {
    let k = one(svc("users")
        .expose(50051)
        .cmd("/app/users-service --grpc-port 50051"));
    assert_kind(&k, GrpcServer);
    assert_eq!(k.served(50051).unwrap().protocol.as_deref(), Some("grpc"));
    let k = one(svc("users").env("GRPC_PORT", "9090").cmd("/bin/svc"));
    assert_kind(&k, GrpcServer);
    assert_eq!(ports(&k), vec![(9090, "environment")]);
}

#[test]
fn port_without_protocol_evidence_is_a_modest_tcp_server() {
    let k = one(svc("thing").image("acme/thing:1").port(None, 7777));
    assert_eq!(k.kind, TcpServer);
    assert!(!k.is_assertive(), "{}", k.confidence);
    assert!(k.confidence > 0.3);
    assert!(!k.speaks_http);

    let k = one(svc("php").image("php:8.3-fpm").cmd("php-fpm").expose(9000));
    assert_kind(&k, TcpServer);
    assert_eq!(k.served(9000).unwrap().protocol.as_deref(), Some("fastcgi"));
}

#[test]
fn databases_and_brokers_from_image_even_without_ports() {
    for image in [
        "postgres:16",
        "mysql:8.4",
        "mariadb:11",
        "mongo:7",
        "redis:7-alpine",
        "valkey/valkey:8",
        "memcached:1.6",
        "clickhouse/clickhouse-server:24.3",
        "cassandra:5",
        "docker.elastic.co/elasticsearch/elasticsearch:8.14.0",
        "opensearchproject/opensearch:2",
        "bitnami/postgresql:16",
        "mcr.microsoft.com/mssql/server:2022-latest",
    ] {
        let k = one(svc("store").image(image));
        assert_kind(&k, Database);
        assert_eq!(k.evidence[0].signal, "image", "{image}");
    }
    for image in [
        "rabbitmq:3-management",
        "apache/kafka:3.7.0",
        "confluentinc/cp-kafka:7.6.1",
        "nats:2.10",
        "eclipse-mosquitto:2",
        "redpandadata/redpanda:v24.1.1",
        "zookeeper:3.9",
    ] {
        assert_kind(&one(svc("bus").image(image)), Broker);
    }
    // A database image served on its default port when nothing else names one.
    let k = one(svc("db").image("postgres:16"));
    assert_eq!(ports(&k), vec![(5432, "image")]);
    assert_eq!(k.served_ports[0].protocol.as_deref(), Some("postgres"));
    // Elasticsearch is a database that answers HTTP on 9200.
    let k = one(svc("es")
        .image("elasticsearch:8.14.0")
        .port(Some("9200"), 9200));
    assert!(k.speaks_http);
    assert_eq!(k.served(9200).unwrap().protocol.as_deref(), Some("http"));
    // A database built here from the official image.
    let k = one(svc("db").dockerfile(|d, span| {
        d.base_image = Some(Spanned::new("postgres:16-alpine".to_string(), span));
    }));
    assert_kind(&k, Database);
    assert_eq!(k.evidence[0].signal, "dockerfile");
    assert_eq!(k.evidence[0].value, "FROM postgres:16-alpine");
}

#[test]
fn lookalike_images_are_not_databases() {
    let k = one(svc("ui").image("mongo-express:1").port(Some("8081"), 8081));
    assert_eq!(k.kind, HttpServer);
    assert!(one(svc("x").image("node:20")).kind == Unknown);
}

#[test]
fn workers() {
    for cmd in [
        "celery -A proj worker -l info",
        "rq worker high default",
        "bundle exec sidekiq -C config/sidekiq.yml",
        "dramatiq app.tasks",
        "php artisan queue:work --tries=3",
    ] {
        assert_kind(&one(svc("jobs").cmd(cmd)), Worker);
    }
    // Entrypoint and command join: `celery` + `-A app worker`.
    let k = one(svc("tasks").entrypoint("celery").cmd("-A app worker"));
    assert_kind(&k, Worker);
    assert!(k.listens_on_nothing());
}

#[test]
fn cron() {
    for cmd in [
        "supercronic /etc/crontab",
        "crond -f -l 2",
        "celery -A proj beat",
    ] {
        assert_kind(&one(svc("scheduler").cmd(cmd)), Cron);
    }
    assert_kind(
        &one(svc("jobs")
            .image("mcuadros/ofelia:latest")
            .cmd("daemon --docker")),
        Cron,
    );
}

#[test]
fn oneshot_from_dependents_and_from_restart_no_with_migrations() {
    let migrate = svc("migrate")
        .image("acme/api:1")
        .cmd("alembic upgrade head");
    let api = svc("api")
        .image("acme/api:1")
        .depends("migrate", Condition::ServiceCompletedSuccessfully)
        .cmd("uvicorn app:app --port 8000");
    let k = within(vec![migrate, api], "migrate");
    assert_kind(&k, Oneshot);
    let dep = k
        .evidence
        .iter()
        .find(|e| e.signal == "depends-on")
        .unwrap();
    assert_eq!(dep.value, "api waits for service_completed_successfully");
    assert_eq!(dep.span.unwrap().line, 3);
    // A one-shot job is not a slow starter, even when it migrates.
    assert_eq!(k.slow_starter, None);

    let k = one(svc("setup")
        .restart("no")
        .cmd("python manage.py migrate --noinput"));
    assert_kind(&k, Oneshot);
    assert!(k.evidence.iter().any(|e| e.signal == "restart"));

    let k = one(svc("schema")
        .cmd_exec(&["npx", "prisma", "migrate", "deploy"])
        .restart("no"));
    assert_kind(&k, Oneshot);
}

#[test]
fn migrations_before_a_server_make_a_slow_server_not_a_oneshot() {
    let k = one(svc("web")
        .port(Some("8000"), 8000)
        .cmd("sh -c 'python manage.py migrate && gunicorn -b 0.0.0.0:8000 app.wsgi'"));
    assert_kind(&k, HttpServer);
    assert!(!k.evidence.iter().any(|e| e.supports == Oneshot));
    assert_eq!(
        k.slow_starter.as_deref(),
        Some("runs database migrations at start")
    );
    assert_eq!(k.slow_starter_span.unwrap().line, 3);
}

// --- labels and thin evidence ----------------------------------------------------------------

#[test]
fn label_wins_outright() {
    let k = one(svc("web")
        .image("nginx:1.27")
        .port(Some("80"), 80)
        .label("healthlint.kind", "ws-client"));
    assert_eq!(k.kind, WsClient);
    assert_eq!(k.confidence, 1.0);
    assert_eq!(k.evidence[0].signal, "label");
    assert_eq!(k.evidence[0].value, "healthlint.kind=ws-client");
    assert_eq!(k.evidence[0].span.unwrap().line, 4);
    // Served ports are still what the file says.
    assert_eq!(ports(&k), vec![(80, "ports")]);

    // From the Dockerfile's LABEL too.
    let k = one(svc("svc").dockerfile(|d, span| {
        d.labels.push(Label {
            key: "healthlint.kind".to_string(),
            value: "worker".to_string(),
            span,
        });
    }));
    assert_eq!((k.kind, k.confidence), (Worker, 1.0));
}

#[test]
fn invalid_label_is_ignored_with_a_note() {
    let k = one(svc("cache")
        .image("redis:7")
        .label("healthlint.kind", "webserver"));
    assert_kind(&k, Database);
    assert!(k.confidence < 1.0);
    let note = k.evidence.iter().find(|e| e.signal == "label").unwrap();
    assert_eq!(note.weight, 0.0);
    assert_eq!(note.supports, Unknown);
    assert!(note.value.contains("not a service kind"), "{}", note.value);
    assert_eq!(note.span.unwrap().line, 3);
}

#[test]
fn thin_evidence_is_unknown() {
    for b in [
        svc("web"),
        svc("app").image("node:20").cmd("npm start"),
        svc("api").image("python:3.12-slim"),
        svc("thing").restart("no"),
        svc("service").env("LOG_LEVEL", "debug"),
    ] {
        let k = one(b);
        assert_eq!(k.kind, Unknown, "{k:#?}");
        assert_eq!(k.confidence, 0.0);
        assert!(!k.is_assertive());
        assert!(!k.listens_on_nothing());
    }
}

#[test]
fn declared_ports_keep_a_server_from_reading_as_a_client() {
    // A server that also connects to a WebSocket upstream.
    let k = within(
        vec![
            svc("web")
                .port(Some("3000"), 3000)
                .cmd("node server.js")
                .env("UPSTREAM_URL", "ws://gateway:18789"),
            svc("gateway"),
        ],
        "web",
    );
    assert_eq!(k.kind, HttpServer);
    assert!(!k.listens_on_nothing());
}

// --- served ports ----------------------------------------------------------------------------

#[test]
fn served_ports_come_from_the_container_side() {
    let k = one(svc("web").port(Some("3000"), 80));
    assert_eq!(ports(&k), vec![(80, "ports")]);
    assert!(k.serves(80) && !k.serves(3000));
    assert_eq!(k.served_ports[0].span.unwrap().line, 2);

    let k = one(svc("range").port_full(Some("9000-9002"), 8000, 8002, None));
    assert_eq!(
        (k.served_ports[0].port, k.served_ports[0].port_end),
        (8000, 8002)
    );
    assert!(k.serves(8001) && !k.serves(8003));
}

#[test]
fn served_ports_from_every_source() {
    let k = one(svc("a").expose(7000));
    assert_eq!(ports(&k), vec![(7000, "expose")]);

    let k = one(svc("a").dockerfile(|d, span| {
        d.expose.push(Expose {
            port: 8080,
            port_end: 8080,
            protocol: Protocol::Tcp,
            span,
        });
    }));
    assert_eq!(ports(&k), vec![(8080, "EXPOSE")]);
    assert_eq!(k.served_ports[0].span.unwrap().file, 1);

    for (cmd, port) in [
        ("uvicorn main:app --port 8001", 8001),
        ("uvicorn main:app --port=8002", 8002),
        ("next start -p 8003", 8003),
        ("gunicorn --bind 0.0.0.0:8004 app:app", 8004),
        ("gunicorn -b :8005 app:app", 8005),
        ("myserver --listen [::]:8006", 8006),
        ("java -Dserver.port=8007 -jar app.jar", 8007),
        ("sh -c 'PORT=8008 node index.js'", 8008),
        ("php -S 0.0.0.0:8009 -t public", 8009),
        ("python -m http.server 8010", 8010),
    ] {
        let k = one(svc("a").cmd(cmd));
        assert_eq!(ports(&k), vec![(port, "command")], "{cmd}");
    }
    let k = one(svc("a").entrypoint("server --port 9001"));
    assert_eq!(ports(&k), vec![(9001, "entrypoint")]);
    let k = one(svc("a")
        .dockerfile(|d, span| d.cmd = Some(shell("hypercorn --bind 0.0.0.0:9002 app:app", span))));
    assert_eq!(ports(&k), vec![(9002, "CMD")]);

    let k = one(svc("a").env("PORT", "3000"));
    assert_eq!(ports(&k), vec![(3000, "environment")]);
    let k = one(svc("a").env("LISTEN_ADDR", "0.0.0.0:4000"));
    assert_eq!(ports(&k), vec![(4000, "environment")]);
    // `--port $PORT` resolves through the service's environment.
    let k = one(svc("a")
        .env("APP_PORT_X", "1")
        .env("PORT", "5055")
        .cmd("uvicorn m:a --port ${PORT:-8000}"));
    assert!(k.serves(5055) && !k.serves(8000), "{:?}", ports(&k));
}

#[test]
fn port_like_words_that_are_not_ports() {
    for cmd in [
        "mkdir -p /data && exec app",
        "mysql -p secret",
        "sleep 3000",
        "nginx -p /etc/nginx",
        "gunicorn -b unix:/run/app.sock app:app",
    ] {
        let k = one(svc("a").cmd(cmd));
        assert!(k.served_ports.is_empty(), "{cmd}: {:?}", ports(&k));
    }
    // Client-side ports of peers are not served.
    let k = one(svc("a").env("DB_PORT", "5432").env("REDIS_HOST", "redis"));
    assert!(k.served_ports.is_empty());
}

#[test]
fn the_same_port_from_several_sources_is_listed_once() {
    let k = one(svc("a")
        .port(Some("8080"), 8080)
        .expose(8080)
        .cmd("server --port 8080")
        .env("PORT", "8080"));
    assert_eq!(ports(&k), vec![(8080, "ports")]);
    // An explicit port replaces the image's default.
    let k = one(svc("db").image("postgres:16").cmd("postgres -p 5433"));
    assert_eq!(ports(&k), vec![(5433, "command")]);
}

// --- peers -----------------------------------------------------------------------------------

#[test]
fn peers_from_urls_hosts_and_command() {
    let app = svc("app")
        .env("DATABASE_URL", "postgres://user:secret@db:5432/app")
        .env("REDIS_HOST", "redis")
        .env("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
        .env("API_BASE", "https://api.example.com/v1")
        .env("PUBLIC_URL", "http://app:3000")
        .env("HOST", "0.0.0.0")
        .cmd("wait-for-it db:5432 -- websocat ws://gateway:9000/socket");
    let k = within(
        vec![app, svc("db"), svc("redis"), svc("kafka"), svc("gateway")],
        "app",
    );
    let got: Vec<_> = k
        .peers
        .iter()
        .map(|p| {
            (
                p.scheme.as_deref(),
                p.host.as_str(),
                p.port,
                p.service.as_deref(),
                p.source.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some("postgres"),
                "db",
                Some(5432),
                Some("db"),
                "environment"
            ),
            (None, "redis", None, Some("redis"), "environment"),
            (None, "kafka", Some(9092), Some("kafka"), "environment"),
            (Some("https"), "api.example.com", None, None, "environment"),
            (
                Some("ws"),
                "gateway",
                Some(9000),
                Some("gateway"),
                "command"
            ),
        ]
    );
    assert_eq!(k.peers[4].path.as_deref(), Some("/socket"));
    assert!(k.peers.iter().all(|p| p.span.is_some()));
    assert!(!k.evidence.iter().any(|e| e.value.contains("secret")));
    assert_eq!(
        k.peer_services().collect::<Vec<_>>(),
        vec!["db", "redis", "kafka", "gateway"]
    );
}

#[test]
fn self_urls_are_not_peers_and_mark_a_server() {
    let k = one(svc("hub")
        .env("WS_URL", "ws://hub:8080/ws")
        .env("NEXTAUTH_URL", "http://localhost:3000")
        .expose(8080));
    assert!(k.peers.is_empty(), "{:?}", k.peers);
    assert_eq!(k.kind, WsServer);
    assert_eq!(k.ws_paths, vec!["/ws"]);
}

// --- slow starters ---------------------------------------------------------------------------

#[test]
fn slow_starters() {
    for image in [
        "postgres:16",
        "mysql:8",
        "mariadb:11",
        "mcr.microsoft.com/mssql/server:2022-latest",
        "elasticsearch:8.14.0",
        "opensearchproject/opensearch:2",
        "confluentinc/cp-kafka:7.6.1",
        "rabbitmq:3-management",
        "quay.io/keycloak/keycloak:25.0",
    ] {
        let k = one(svc("s").image(image));
        assert!(k.slow_starter.is_some(), "{image}");
        assert_eq!(k.slow_starter_span.unwrap().line, 2, "{image}");
    }
    for image in [
        "redis:7",
        "valkey/valkey:8",
        "memcached:1",
        "nginx:1.27",
        "node:20",
    ] {
        assert_eq!(one(svc("s").image(image)).slow_starter, None, "{image}");
    }
    // JVM from the command, the base image, or the environment.
    let k = one(svc("api").cmd("java -jar app.jar").expose(8080));
    assert!(k.slow_starter.as_deref().unwrap().contains("JVM"));
    let k = one(svc("api").dockerfile(|d, span| {
        d.base_image = Some(Spanned::new("eclipse-temurin:21-jre".to_string(), span));
    }));
    assert!(k.slow_starter.as_deref().unwrap().contains("JVM"));
    assert_eq!(k.kind, Unknown);
    let k = one(svc("api").env("JAVA_OPTS", "-Xmx512m"));
    assert!(k.slow_starter.is_some());
}

// --- Dockerfile facts ------------------------------------------------------------------------

#[test]
fn dockerfile_cmd_and_env_count_unless_compose_overrides() {
    let bot = || {
        svc("bot").dockerfile(|d, span| {
            d.cmd = Some(shell("node bot.js", span));
            d.env
                .push(env("GATEWAY_URL", "wss://gateway.example.com", span));
        })
    };
    let k = one(bot());
    assert_kind(&k, WsClient);
    assert!(k.evidence.iter().any(|e| e.value == "CMD bot.js"));
    assert!(
        k.evidence
            .iter()
            .any(|e| e.value == "ENV GATEWAY_URL=wss://gateway.example.com")
    );

    // A compose entrypoint drops the image's CMD, as the engine does.
    let k = one(bot().entrypoint("/bin/sh /opt/run"));
    assert!(!k.evidence.iter().any(|e| e.value == "CMD bot.js"));
    // A compose variable of the same name replaces the Dockerfile's.
    let k = one(bot().env("GATEWAY_URL", "http://gw:80"));
    assert!(!k.evidence.iter().any(|e| e.value.contains("wss://")));
}

#[test]
fn result_is_index_aligned_and_empty_project_is_fine() {
    assert!(infer_all(&Project::default()).is_empty());
    let p = project(vec![
        svc("db").image("postgres:16"),
        svc("web").image("nginx"),
        svc("x"),
    ]);
    let kinds: Vec<_> = infer_all(&p).into_iter().map(|k| k.kind).collect();
    assert_eq!(kinds, vec![Database, HttpServer, Unknown]);
}

#[test]
fn never_panics_on_odd_values() {
    let k = one(svc("odd")
        .image("::::")
        .cmd("--port -p --bind = =8080 ${ ${PORT:- $ :// ws:// ://x")
        .env("PORT", "${")
        .env("X_HOST", "[::1")
        .env("Y_URL", "ws://[::1]:99999")
        .label("healthlint.kind", ""));
    assert!(k.confidence <= 1.0 && k.confidence >= 0.0);
}

#[test]
fn bot_started_with_npm_start_is_still_a_client() {
    let k = within(
        vec![
            svc("telegram-bot")
                .cmd("npm start")
                .env("GATEWAY_URL", "ws://gateway:18789"),
            svc("gateway"),
        ],
        "telegram-bot",
    );
    assert_kind(&k, WsClient);
}

#[test]
fn words_that_only_look_like_signals() {
    // `--workers` is a server's flag, not a worker.
    let k = one(svc("api").cmd("gunicorn --workers 4 -b 0.0.0.0:8000 app:app"));
    assert_kind(&k, HttpServer);
    assert!(!k.evidence.iter().any(|e| e.supports == Worker), "{k:#?}");
    // A client naming the postgres user is not a database.
    let k = one(svc("backup").cmd("pg_dump -U postgres -h db app"));
    assert!(!k.evidence.iter().any(|e| e.supports == Database));
    // The postgres image's own command line is.
    let k = one(svc("db")
        .entrypoint("docker-entrypoint.sh")
        .cmd("postgres -c max_connections=200"));
    assert!(k.evidence.iter().any(|e| e.supports == Database));
    // A file name that mentions nginx is not nginx.
    let k = one(svc("logs").cmd("logstash -f /usr/share/logstash/pipeline/logstash-nginx.config"));
    assert!(!k.evidence.iter().any(|e| e.supports == HttpServer));
    // A server started with a migrate flag is a slow-starting server.
    let k = one(svc("api").cmd("/app/server --auto-migrate --port 8080"));
    assert_kind(&k, HttpServer);
    assert!(!k.evidence.iter().any(|e| e.supports == Oneshot), "{k:#?}");
    assert_eq!(
        k.slow_starter.as_deref(),
        Some("runs database migrations at start")
    );
    // A Kafka consumer is a worker, not a topic-creating one-shot.
    let k = one(svc("ingest").cmd("rust-consumer --storage errors --consumer-group snuba"));
    assert_eq!(k.kind, Worker);
    assert_kind(
        &one(svc("migrator").cmd("/hatchet/hatchet-migrate")),
        Oneshot,
    );
    let k = one(svc("topics").cmd("kafka-topics --bootstrap-server kafka:9092 --create --topic t"));
    assert_eq!(k.kind, Oneshot);
}

#[test]
fn many_services_infer_quickly() {
    let mut services = Vec::new();
    for i in 0..500 {
        services.push(
            svc(&format!("svc{i}"))
                .image("ghcr.io/acme/app:1")
                .port(Some("8080"), 8080)
                .cmd("sh -c 'python manage.py migrate && gunicorn -b 0.0.0.0:8080 app.wsgi'")
                .env("DATABASE_URL", "postgres://u:p@db:5432/app")
                .env("REDIS_HOST", "redis"),
        );
    }
    let p = project(services);
    let started = std::time::Instant::now();
    let kinds = infer_all(&p);
    assert_eq!(kinds.len(), 500);
    assert!(kinds.iter().all(|k| k.kind == HttpServer));
    // Unoptimized builds on a shared machine: generous, but catches per-service recompiles.
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
}

#[test]
fn image_families_by_pattern() {
    assert_kind(
        &one(svc("m").image("percona/mongodb_exporter:0.40")),
        HttpServer,
    );
    assert_kind(&one(svc("m").image("prom/node-exporter")), HttpServer);
    assert_kind(&one(svc("pool").image("bitnami/pgbouncer:1")), Database);
}

#[test]
fn listen_urls_and_bind_addresses_in_the_environment_are_served() {
    let k = one(svc("kafka").image("apache/kafka:3.7.0").env(
        "KAFKA_LISTENERS",
        "PLAINTEXT://0.0.0.0:9092,CONTROLLER://:9093",
    ));
    assert_kind(&k, Broker);
    assert_eq!(ports(&k), vec![(9092, "environment")]);
    assert!(k.peers.is_empty());
    let k = one(svc("graylog").env("GRAYLOG_HTTP_BIND_ADDRESS", "0.0.0.0:9000"));
    assert_eq!(ports(&k), vec![(9000, "environment")]);
    let k = one(svc("api").env("SERVER_GRPC_BIND_ADDRESS", "0.0.0.0:7233"));
    assert_eq!(k.served(7233).unwrap().protocol.as_deref(), Some("grpc"));
}

#[test]
fn websocket_grpc_and_http_app_protocols() {
    let k = one(svc("a").port_full(None, 9000, 9000, Some("ws")));
    assert_kind(&k, WsServer);
    assert_eq!(k.served_ports[0].protocol.as_deref(), Some("ws"));
    let k = one(svc("a")
        .port_full(None, 9000, 9000, Some("grpc"))
        .cmd("/srv"));
    assert_eq!(k.kind, GrpcServer);
    let k = one(svc("a").cmd("sh -c 'WS_PORT=7001 node index.js'"));
    assert_eq!(k.kind, WsServer);
    assert_eq!(k.served(7001).unwrap().protocol.as_deref(), Some("ws"));
    assert!(k.evidence.iter().any(|e| e.value == "WS_PORT=7001"));
}

#[test]
fn mixed_signals_stay_below_assertive() {
    // Cron and a web server in one command: neither claim is safe to act on.
    let k = one(svc("box").cmd("sh -c 'cron && nginx -g \"daemon off;\"'"));
    assert!(!k.is_assertive(), "{k:#?}");
    // Celery's dashboard is a web server, not a worker.
    let k = one(svc("flower").cmd("celery -A proj flower --port=5555"));
    assert_kind(&k, HttpServer);
    assert_eq!(ports(&k), vec![(5555, "command")]);
}

#[test]
fn evidence_uses_the_documented_signals() {
    const SIGNALS: [&str; 11] = [
        "label",
        "image",
        "command",
        "entrypoint",
        "environment",
        "port",
        "expose",
        "dockerfile",
        "depends-on",
        "restart",
        "name",
    ];
    let p = project(vec![
        svc("worker")
            .image("postgres:16")
            .entrypoint("node bot.js")
            .cmd("redis-server --port 5433")
            .port(Some("1"), 5433)
            .expose(7000)
            .env("PORT", "1")
            .env("X_URL", "ws://web:1")
            .label("healthlint.kind", "nope")
            .restart("no")
            .dockerfile(|d, span| {
                d.expose.push(Expose {
                    port: 1,
                    port_end: 1,
                    protocol: Protocol::Tcp,
                    span,
                });
                d.base_image = Some(Spanned::new("redis".to_string(), span));
            }),
        svc("web").depends("worker", Condition::ServiceCompletedSuccessfully),
    ]);
    let mut seen = Vec::new();
    for k in infer_all(&p) {
        for e in &k.evidence {
            assert!(SIGNALS.contains(&e.signal.as_str()), "{e:?}");
            assert!(e.span.is_some(), "{e:?}");
            assert!(e.weight >= 0.0);
            seen.push(e.signal.clone());
        }
        assert!((0.0..=1.0).contains(&k.confidence));
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), SIGNALS.len(), "{seen:?}");
}
