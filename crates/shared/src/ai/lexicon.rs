//! Keyword lists of the local intent classifier and the negative-sentiment score.
//!
//! One line per weight: `weight: phrase | phrase | ...`. Phrases are folded like the messages
//! (case, accents and punctuation do not matter); a trailing `*` matches any word starting with the
//! stem, for languages that glue suffixes on (Turkish "kargom", "siparişim"). Weights: 4 says the
//! intent on its own, 3 strongly, 2 suggests, 1 and below only tips a close call. Lists are kept
//! to phrases people actually send; every language has at least a few per intent.

pub(super) const PRODUCT_QUESTION: &str = "
3: ingredient* | how do i use | how to use | how should i use | in stock | suitable for | do you sell
3: difference between
2.5: safe for | sirve para | es apto | cuánto cuesta | quanto custa | serve para | içeri* | nasıl kullan*
2.5: kaç para | uygun mu
2.5: was kostet | wie viel kostet | geeignet für | combien coûte | combien ça coûte | convient
2.5: kitne ka hai | isme kya hai
3: ingrediente* | cómo se usa | como usar | hay stock | tem estoque | inhaltsstoff* | wie benutze
3: wie verwende | auf lager
3: composition | composición | composição | içindekiler | bileşen* | zusammensetzung
3: ingrédient* | comment utiliser | en stock | price kya hai | kaise use | ingredients kya hai
3: stock me hai
2: contain* | contiene | contém | enthält | contient | how much | paraben* | vegan | material* | recommend
2: do you have
2: work for | good for | malzeme* | öneri* | tavsiye* | ne kadar | stok* | recomienda* | anwendung | adapté
2: kitne ka | size kya
1.5: size* | price | cost* | available | scent | color* | colour* | precio | talla* | tamaño | disponible
1.5: tienen | preço
1.5: tamanho | disponível | vocês têm | fiyat* | beden* | var mı | preis | größe* | verfügbar | habt ihr
1.5: haben sie | prix
1.5: taille* | avez vous | available hai | hast du | gibt es
1: does it | does the | is it | what is | which | tiene | qué es | kya hai
";

pub(super) const ORDER_STATUS: &str = "
4: where is my order | where s my order | order status | where is my package | dónde está mi pedido
4: estado del pedido
4: onde está meu pedido | cadê meu pedido | código de rastreio | wo ist meine bestellung
4: sendungsverfolgung | bestellstatus
4: où est ma commande | mera order kaha hai | order kab aayega | kargom nerede | siparişim nerede
3: track | tracking | track my order | not arrived | hasn t arrived | has not arrived | seguimiento
3: rastreo | cuándo llega | no ha llegado
3: no me ha llegado | rastreio | rastreamento | quando chega | não chegou | takip* | ne zaman gelir
3: ne zaman gelecek
3: gelmedi | wann kommt | noch nicht angekommen | suivi | quand arrive | pas reçu | pas encore reçu
3: kab aayega
3: kab milega | delivery kab | abhi tak nahi aaya
2.5: kargo* | colis | nahi aaya
2: shipped | delivery | arrive | arriving | package | parcel | dispatch* | eta | still waiting | when will
2: paquete
2: encomenda | paket* | lieferung | livraison | expédi*
1.5: my order | shipping | mi pedido | envío | meu pedido | entrega | siparişim* | nerede | teslim*
1.5: meine bestellung
1.5: versand* | ma commande | kaha hai | kahan hai
1: pedido | sipariş* | bestellung | commande | llegar
";

pub(super) const COMPLAINT: &str = "
4: nicht zufrieden | pas satisfait | not satisfied
3: broken | damaged | defective | complaint | complain | not working | doesn t work | does not work
3: stopped working
3: wrong item | allergic reaction | poor quality | bad quality | unacceptable | not good | not happy | roto
3: dañado
3: defectuoso | no funciona | queja | reclamo | reclamación | mala calidad | me llegó mal | no es bueno
3: no me gusta
3: quebrado | danificado | com defeito | defeito | não funciona | reclamação | qualidade ruim | não gostei
3: kırık
3: bozuk | hasarlı | çalışmıyor | şikayet* | rezalet | yanlış ürün | memnun değilim | kalitesiz | iyi değil
3: beğenmedim
3: kaputt | beschädigt | defekt | funktioniert nicht | beschwerde | schlechte qualität | unzufrieden
3: nicht gut
3: gefällt mir nicht | cassé | endommagé | défectueux | ne fonctionne pas | marche pas | plainte
3: réclamation
3: mauvaise qualité | mauvais article | pas bon | je n aime pas | kharab | toota | tuta hua
3: kaam nahi kar raha
3: bakwas | ghatiya | shikayat | galat product | accha nahi | acha nahi | pasand nahi
2.5: worst | disappointed | scam | rash | pésimo | péssimo | decepcionado | decepcionada | berbat
2.5: hayal kırıklığı
2.5: enttäuscht | déçu | déçue | tuta | bekar | peor | pior | estafa | fraude | betrug | arnaque
2.5: dolandırıcı*
2.5: arrived late | llegó tarde | chegou atrasado | geç geldi | en retard
2: terrible | awful | horrible | wrong size | missing | leak* | rude | never again | rota | incorrecto
2: horrível
2: errado | eksik | schrecklich | nul | zu spät | atrasado
1.5: kötü | falsche* | galat
";

pub(super) const RETURN_REFUND: &str = "
4: refund* | money back | reembolso | devolución | estorno | devolução | dinheiro de volta | iade
4: paramı geri
4: rückerstattung | erstattung | rücksendung | geld zurück | retoure | remboursement | rembourser
4: remboursé
4: paisa wapas | paise wapas
3.5: send it back | reimburse* | devolver | devolverlo | geri göndermek | zurückschicken | zurücksenden
3.5: retourner
3.5: return karna | wapas karna | wapas bhejna
3: return | returns | exchange | cancel my order | return policy | mi dinero | cancelar mi pedido
3: cancelar el pedido
3: meu dinheiro | troca | değişim | sipariş* iptal | umtausch* | stornieren | retour | renvoyer | échange*
3: échanger
3: annuler ma commande
2.5: trocar | paramı | iptal etmek | badalna
2: cambio | değiştir*
1.5: cambiar
";

pub(super) const REVIEW_FEEDBACK: &str = "
3.5: 5 stars | five stars | çok beğendim
3: love it | loved it | love this | great product | works great | highly recommend | smells amazing
3: me encanta
3: me encantó | lo recomiendo | adorei | amei | recomendo | bayıldım | beğendim | tavsiye ederim | memnunum
3: çok memnun
3: liebe es | empfehle | begeistert | j adore | je recommande | bahut accha | bahut acha | zabardast
3: badhiya
3: pasand aaya | maza aa gaya
2.5: stars | review | feedback | encantó | estrellas | reseña | muy bueno | muy buena | estrelas | avaliação
2.5: muito bom
2.5: muito boa | maravilhoso | yıldız | harika | mükemmel | çok güzel | sterne | bewertung | ausgezeichnet
2.5: sehr gut
2.5: zufrieden | adore | étoiles | génial | très bien | satisfait | accha hai | acha hai
2: loved | star | amazing | excellent | rating | perfect | fantastic | awesome | opinión | excelente
2: increíble
2: perfecto | perfeito | süper | yorum | toll | avis | parfait | mast
1.5: love | top
1: great
";

pub(super) const REORDER: &str = "
4: order again | reorder | re order | buy again | volver a pedir | pedir otra vez | pedir de nuevo
4: comprar otra vez
4: comprar de nuevo | pedir de novo | comprar de novo | pedir novamente | comprar novamente | tekrar sipariş
4: yeniden sipariş | tekrar almak | nachbestellen | erneut bestellen | wieder bestellen | nochmal bestellen
4: noch einmal bestellen | nachkaufen | commander à nouveau | racheter | commander encore | dobara order
4: phir se order | fir se order | dubara order | phir se mangwana | dobara mangwana
3.5: same again | bir tane daha | yine almak
3: another one | running out | ran out | i need more | refill | otro más | otra más | quiero más
3: se me acabó
3: quero mais | tekrar al* | noch eins | en reprendre | ek aur | aur chahiye
2.5: want more | one more | repetir | mais um | recommander | encore un
2: acabou | bitti
1.5: more of
1: tekrar
";

pub(super) const THANKS: &str = "
3.5: muchas gracias | mil gracias | muito obrigado | muito obrigada | çok teşekkürler | vielen dank
3.5: danke schön
3.5: merci beaucoup
3: thank you | thanks | thank u | thx | much appreciated | appreciate it | gracias | te lo agradezco
3: obrigado
3: obrigada | valeu | teşekkür* | sağ ol* | eyvallah | mersi | danke | dankeschön | merci | je vous remercie
3: dhanyavad | dhanyawad | shukriya
2: ty | cheers
";

pub(super) const SMALLTALK: &str = "
3: how are you | nice to meet you | cómo estás | como vai | nasılsın | naber | wie geht s | wie geht es dir
3: comment ça va | kaise ho | kya haal hai
2.5: what s up | who are you | qué tal | tudo bem | ça va | kya haal
2: good morning | good night | good evening | bye | goodbye | buenos días | buenas noches | buenas tardes
2: adiós
2: bom dia | boa noite | boa tarde | günaydın | iyi akşamlar | iyi geceler | görüşürüz | guten morgen
2: guten tag
2: gute nacht | tschüss | bonsoir | au revoir | are you a bot | kaisa hai
1.5: hi | hello | hey | lol | hola | olá | oi | merhaba | selam | hallo | bonjour | salut | namaste
";

pub(super) const HUMAN_REQUEST: &str = "
4: human | real person | talk to someone | speak to someone | representative | humano | persona real
4: hablar con alguien | representante | pessoa real | falar com alguém | atendente | gerçek kişi | temsilci*
4: canlı destek | biriyle görüş* | echte person | jemanden sprechen | humain | vraie personne
4: parler à quelqu un
4: insaan | kisi se baat | asli insaan
3.5: insan | insanla | insan ile | insana | müşteri hizmetleri | yetkili* | mensch*
3: customer service | customer support | manager | call me | operator | not a bot | live chat | agente
3: asesor
3: atención al cliente | llámame | llamenme | me liga | görüşmek istiyorum | beni ara* | mitarbeiter
3: kundenservice
3: kundendienst | rufen sie mich an | conseiller | conseillère | service client | appelez moi
3: baat karni hai
3: customer care | call karo
2.5: agent
1.5: a person | una persona | uma pessoa | une personne | speak to
1: talk to a
";

/// Words of anger or distrust with how strongly each signals an unhappy customer.
pub(super) const NEGATIVE: &str = "
1.5: scam | fraud | worst | furious | rezalet | dolandırıcı* | estafa | fraude | betrug | betrüger | arnaque
1.5: escroquerie | escroc | nunca más | never again | bir daha asla | nie wieder | plus jamais | nunca mais
1.5: dhokha
1.5: furieux | furioso | furiosa | chor ho | chor hai | sahtekar* | en kötü | schlimmste
1.2: disgusting | unacceptable | inaceptable | inaceitável | inakzeptabel | inacceptable | kabul edilemez
1: terrible | horrible | awful | angry | berbat | pésimo | péssimo | enojado | enojada | harto | harta
1: wütend
1: schrecklich | miserable | useless | rubbish | garbage | inútil | lixo | basura | nefret | sinir* | kızgın
1: çöp
1: peor | pior | pire | müll | énervé | honteux | vergonha | vergüenza | bakwas | ghatiya | gussa
1: ridiculous | ridículo | lächerlich
0.8: trash | nul | enttäuscht | bekar | ridicule
0.5: disappointed | bad | poor | decepcionado | decepcionada | kötü | déçu | déçue | hayal kırıklığı
0.5: schlecht
0.5: ruim | mauvais | kharab
";
