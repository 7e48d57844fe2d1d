"""Word lists for the demo school: common Chilean given names and surnames, names
frequent among children of the largest migrant communities (Venezuela, Peru,
Haiti, Colombia, Bolivia), streets and comunas of the Valparaíso region.

Every entry must be encodable in Latin-1: the Libro Digital long export is
written in that encoding, as the sample is.
"""
from __future__ import annotations

FEMALE_GIVEN = (
    "Sofía", "Isidora", "Agustina", "Emilia", "Florencia", "Martina", "Josefa",
    "Trinidad", "Antonella", "Catalina", "Valentina", "Maite", "Amanda", "Javiera",
    "Fernanda", "Constanza", "Antonia", "Ignacia", "Francisca", "Renata", "Julieta",
    "Colomba", "Emma", "Mía", "Isabella", "Amparo", "Rafaela", "Elisa", "Magdalena",
    "Laura", "Gabriela", "Camila", "Daniela", "Paula", "Belén", "Rocío", "Aurora",
    "Pascale", "Matilda", "Violeta", "Alondra", "Monserrat", "Anaís", "Dominga",
    "Ámbar", "Leonor", "Almendra", "Josefina", "Pía", "Consuelo",
)

MALE_GIVEN = (
    "Agustín", "Mateo", "Benjamín", "Vicente", "Tomás", "Maximiliano", "Joaquín",
    "Lucas", "Martín", "Cristóbal", "Gaspar", "Santiago", "Alonso", "Bastián",
    "Matías", "Diego", "Sebastián", "José", "Felipe", "Nicolás", "Ignacio",
    "Francisco", "Emiliano", "León", "Facundo", "Renato", "Julián", "Simón",
    "Máximo", "Clemente", "Damián", "Andrés", "Pablo", "Fabián", "Gonzalo",
    "Amaro", "Borja", "Salvador", "Luciano", "Ángel", "Manuel", "Raimundo",
    "Baltazar", "Josué", "Elías", "Hernán", "Rodrigo", "Álvaro", "Esteban", "Iñaki",
)

SURNAMES = (
    "González", "Muñoz", "Rojas", "Díaz", "Pérez", "Soto", "Contreras", "Silva",
    "Martínez", "Sepúlveda", "Morales", "Rodríguez", "López", "Fuentes", "Hernández",
    "Torres", "Araya", "Flores", "Espinoza", "Valenzuela", "Castillo", "Tapia",
    "Reyes", "Gutiérrez", "Castro", "Pizarro", "Álvarez", "Vásquez", "Sánchez",
    "Fernández", "Ramírez", "Carrasco", "Gómez", "Cortés", "Herrera", "Núñez",
    "Jara", "Vergara", "Rivera", "Figueroa", "Riquelme", "García", "Miranda",
    "Bravo", "Vera", "Molina", "Vega", "Campos", "Sandoval", "Orellana", "Cárdenas",
    "Olivares", "Alarcón", "Gallardo", "Ortiz", "Garrido", "Salazar", "Guzmán",
    "Henríquez", "Saavedra", "Navarro", "Aguilera", "Parra", "Romero", "Aravena",
    "Vargas", "Cáceres", "Yáñez", "Leiva", "Escobar", "Ruiz", "Valdés", "Vidal",
    "Salinas", "Zúñiga", "Peña", "Godoy", "Lagos", "Maldonado", "Bustos", "Medina",
    "Pino", "Palma", "Moreno", "Sanhueza", "Carvajal", "Navarrete", "Sáez",
    "Alvarado", "Donoso", "Poblete", "Bustamante", "Toro", "Ortega", "Venegas",
    "Guerrero", "Paredes", "Farías", "San Martín", "Quiroz", "Ibáñez", "Cisternas",
)

# (female given names, male given names, surnames) per community, so that a
# child's names hang together.
FOREIGN_COMMUNITIES = (
    (  # Venezuela
        ("Valeria", "Samantha", "Daniela", "Génesis", "Mariana", "Victoria", "Ariana"),
        ("Samuel", "Santiago", "Jesús", "Luis Ángel", "Thiago", "Alejandro", "Moisés"),
        ("Rondón", "Colmenares", "Quintero", "Rivas", "Blanco", "Suárez", "Zambrano", "Mendoza"),
    ),
    (  # Perú
        ("Luciana", "Camila", "Ashley", "Nathaly", "Yuliana", "Dayana"),
        ("Dylan", "Jhon", "Kevin", "Gabriel", "Sebastián", "Josué"),
        ("Quispe", "Huamán", "Chávez", "Villanueva", "Flores", "Ramírez", "Gutiérrez"),
    ),
    (  # Haití
        ("Lovely", "Widelande", "Fabiola", "Naomi", "Roseline", "Nadège"),
        ("Mackenson", "Wilkens", "Jean Pierre", "Stevenson", "Emmanuel", "Jameson"),
        ("Jean-Baptiste", "Pierre", "Joseph", "Louis", "Charles", "Saint-Fleur", "Dorvil"),
    ),
    (  # Colombia
        ("Valentina", "Sara", "Mariana", "Salomé", "Luciana", "Isabella"),
        ("Santiago", "Juan José", "Samuel", "Emmanuel", "Jerónimo", "Matías"),
        ("Cárdenas", "Mejía", "Ocampo", "Rodríguez", "Medina", "Restrepo", "Londoño"),
    ),
    (  # Bolivia
        ("Wara", "Abigail", "Nayeli", "Ximena", "Daniela"),
        ("Álex", "Limbert", "Iván", "Brayan", "Juan Carlos"),
        ("Mamani", "Condori", "Choque", "Quispe", "Apaza", "Flores", "Ticona"),
    ),
)

STREETS = (
    "Los Aromos", "Las Acacias", "Av. Libertad", "Pasaje Los Boldos", "Los Quillayes",
    "El Litre", "Los Peumos", "Av. Los Carrera", "Santa Teresa", "Uno Norte",
    "Blanco Encalada", "Pasaje El Roble", "Av. Valparaíso", "Los Maitenes",
    "Colón", "Baquedano", "Condell", "Pasaje Las Rosas", "Los Canelos", "Errázuriz",
)

# (comuna, Código Único Territorial): where the demo school's children live.
COMUNAS = (
    ("Valparaíso", 5101),
    ("Viña del Mar", 5109),
    ("Concón", 5103),
    ("Quilpué", 5801),
    ("Villa Alemana", 5804),
)
