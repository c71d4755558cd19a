(* The port-numbered graph a program builds. One mutable graph is reused for every
   evaluation: edges are only ever added, so rolling back to a mark (needed when a
   conditional probes a branch) just forgets the edges and nodes added after it. *)

type t = {
  max_conn : int;
  node_capacity : int;
  mutable n_nodes : int;
  neighbour_at : int array;  (* node * max_conn + port -> neighbour, or -1 *)
  mutable n_edges : int;
  edge_source : int array;
  edge_target : int array;
  edge_port : int array;
}

exception Node_capacity_exceeded

let create ~max_conn ~node_capacity =
  let edge_capacity = node_capacity * max_conn / 2 + 1 in
  {
    max_conn;
    node_capacity;
    n_nodes = 1;
    neighbour_at = Array.make (node_capacity * max_conn) (-1);
    n_edges = 0;
    edge_source = Array.make edge_capacity 0;
    edge_target = Array.make edge_capacity 0;
    edge_port = Array.make edge_capacity 0;
  }

type mark = { marked_nodes : int; marked_edges : int }

let mark graph = { marked_nodes = graph.n_nodes; marked_edges = graph.n_edges }

let rollback graph { marked_nodes; marked_edges } =
  for edge = marked_edges to graph.n_edges - 1 do
    let port = graph.edge_port.(edge) in
    graph.neighbour_at.((graph.edge_source.(edge) * graph.max_conn) + port) <- -1;
    graph.neighbour_at.((graph.edge_target.(edge) * graph.max_conn) + port) <- -1
  done;
  graph.n_edges <- marked_edges;
  graph.n_nodes <- marked_nodes

(* Back to the one-node graph every program starts from. *)
let reset graph = rollback graph { marked_nodes = 1; marked_edges = 0 }

let neighbour graph node port = graph.neighbour_at.((node * graph.max_conn) + port)

let adjacent graph a b =
  let rec scan port = port < graph.max_conn && (neighbour graph a port = b || scan (port + 1)) in
  scan 0

let link graph a b port =
  let edge = graph.n_edges in
  graph.edge_source.(edge) <- a;
  graph.edge_target.(edge) <- b;
  graph.edge_port.(edge) <- port;
  graph.n_edges <- edge + 1;
  graph.neighbour_at.((a * graph.max_conn) + port) <- b;
  graph.neighbour_at.((b * graph.max_conn) + port) <- a

(* A new node hung on [port] of [node]; the port must be free. *)
let add_neighbour graph node port =
  if graph.n_nodes >= graph.node_capacity then raise Node_capacity_exceeded;
  let fresh = graph.n_nodes in
  graph.n_nodes <- fresh + 1;
  link graph node fresh port;
  fresh

(* An edge between existing nodes on the same port at both ends, when that keeps the
   graph simple: no self-loop, no second edge between the pair, both ports free. *)
let connect graph a b port =
  if a <> b && neighbour graph a port < 0 && neighbour graph b port < 0 && not (adjacent graph a b) then
    link graph a b port

let edges graph = List.init graph.n_edges (fun edge -> (graph.edge_source.(edge), graph.edge_target.(edge), graph.edge_port.(edge)))

let adjacency graph =
  let lists = Array.make graph.n_nodes [] in
  for edge = graph.n_edges - 1 downto 0 do
    let a = graph.edge_source.(edge) and b = graph.edge_target.(edge) in
    lists.(a) <- b :: lists.(a);
    lists.(b) <- a :: lists.(b)
  done;
  Array.map Array.of_list lists

(* Exact (labelled) identity of the graph as built: node ids and ports in creation order. *)
let labelled_key graph =
  let buffer = Buffer.create (8 + (graph.n_edges * 6)) in
  Buffer.add_string buffer (string_of_int graph.n_nodes);
  for edge = 0 to graph.n_edges - 1 do
    Buffer.add_char buffer ';';
    Buffer.add_string buffer (string_of_int graph.edge_source.(edge));
    Buffer.add_char buffer ',';
    Buffer.add_string buffer (string_of_int graph.edge_target.(edge));
    Buffer.add_char buffer ',';
    Buffer.add_string buffer (string_of_int graph.edge_port.(edge))
  done;
  Buffer.contents buffer

let to_json graph : Yojson.Safe.t =
  `Assoc
    [
      ("n_nodes", `Int graph.n_nodes);
      ("edges", `List (List.map (fun (a, b, port) -> `List [ `Int a; `Int b; `Int port ]) (edges graph)));
      ("max_conn", `Int graph.max_conn);
    ]
