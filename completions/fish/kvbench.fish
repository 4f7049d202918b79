# fish completion for kvbench
set -l subcommands engine net gossip
complete -c kvbench -f
complete -c kvbench -n "not __fish_seen_subcommand_from $subcommands" -a engine -d 'Run a workload on the storage engine'
complete -c kvbench -n "not __fish_seen_subcommand_from $subcommands" -a net -d 'Run puts, gets or YCSB-style workloads against a node'
complete -c kvbench -n "not __fish_seen_subcommand_from $subcommands" -a gossip -d 'Measure gossip on simulated clusters'
complete -c kvbench -n "not __fish_seen_subcommand_from $subcommands" -s V -l version -d 'Print the version'
complete -c kvbench -l help -d 'Print the options'

# kvbench engine
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l dir -x -a '(__fish_complete_directories)' -d 'Data directory'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l workload -x -a 'fillseq fillrandom readrandom readmissing fillsync' -d 'Workload'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l threads -x -d 'Worker threads'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l bloom-bits -x -d 'Bloom filter bits per key'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l compression -x -a 'lz4 zstd snappy none' -d 'Data-block codec'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l cache-size -x -d 'Block cache size, e.g. 64MiB'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l values -x -a 'random text' -d 'Value kind'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l distribution -x -a 'uniform zipfian' -d 'readrandom key distribution'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l sync -x -a 'batch periodic off' -d 'Commit-log sync mode'
complete -c kvbench -n '__fish_seen_subcommand_from engine' -l memory-budget -x -d 'Size memtables and cache as kvnode --memory-budget'

# kvbench net
complete -c kvbench -n '__fish_seen_subcommand_from net' -l node -x -d 'Node address (default $KV_NODE, else 127.0.0.1:7000)'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l workload -x -a 'put get a b c' -d 'Workload (a: 50% updates, b: 5%, c: reads only)'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l keys -x -d 'Key space'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l distribution -x -a 'uniform zipfian' -d 'How keys are chosen'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l load -d 'Write the key space first'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l r -x -d 'Read quorum'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l w -x -d 'Write quorum'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l concurrency -x -d 'Requests in flight'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l rate -x -d 'Target operations per second (paced open-loop)'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l cluster-name -x -d 'Cluster name the node must have'
complete -c kvbench -n '__fish_seen_subcommand_from net' -l timeout-ms -x -d 'Per-request timeout'

# kvbench gossip (--seed and --json: below)
complete -c kvbench -n '__fish_seen_subcommand_from gossip' -l nodes -x -d 'Cluster sizes to simulate, comma-separated'
complete -c kvbench -n '__fish_seen_subcommand_from gossip' -l gossip-interval-ms -x -d 'Time between gossip rounds'
complete -c kvbench -n '__fish_seen_subcommand_from gossip' -l loss -x -d 'Probability that a gossip message is lost'
complete -c kvbench -n '__fish_seen_subcommand_from gossip' -l samples -x -d 'New states whose spread is measured'
complete -c kvbench -n '__fish_seen_subcommand_from gossip' -l warmup -x -d 'Gossip rounds before measuring'

# engine and net
complete -c kvbench -n '__fish_seen_subcommand_from engine net' -l num -x -d 'Operations or keys'
complete -c kvbench -n '__fish_seen_subcommand_from engine net' -l value-size -x -d 'Value bytes'
complete -c kvbench -n '__fish_seen_subcommand_from engine net' -l key-size -x -d 'Key bytes'

# all three
complete -c kvbench -n "__fish_seen_subcommand_from $subcommands" -l seed -x -d 'Seed of key order and values (gossip: of phases, targets and losses)'
complete -c kvbench -n "__fish_seen_subcommand_from $subcommands" -l json -d 'Print one JSON object'
complete -c kvbench -l tls-cert -r -F -d 'TLS certificate, role client or admin (default $KV_TLS_CERT)'
complete -c kvbench -l tls-key -r -F -d 'TLS private key (default $KV_TLS_KEY)'
complete -c kvbench -l tls-ca -r -F -d 'The cluster CA certificate (default $KV_TLS_CA)'
complete -c kvbench -l config -r -F -d 'Options file (default ~/.config/kv/client.toml)'
